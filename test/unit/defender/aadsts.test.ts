import { ClientAuthError, ServerError } from '@azure/msal-node';
import { expect } from 'chai';
import {
  describeForbidden,
  readAadstsCode,
  requiredPermission,
  toAuthError,
  type AuthContext,
} from '../../../src/defender/aadsts.js';
import { AuthError } from '../../../src/errors.js';

const ctx: AuthContext = {
  tenantId: '11111111-2222-3333-4444-555555555555',
  clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
};

/** What msal-common's ResponseHandler throws for a token error body (errorNo = error_codes[0]). */
function serverError(
  code: number,
  error = 'invalid_request',
  status = 400,
  description = `AADSTS${code}: something.`,
): ServerError {
  const text =
    `Error(s): ${code} - Timestamp: 2024-05-01 10:00:00Z - Description: ${description}\r\nTrace ID: t\r\n` +
    `Correlation ID: c - Correlation ID: c - Trace ID: t`;
  return new ServerError(error, 'corr-1', text, undefined, String(code), status);
}

describe('aadsts', () => {
  describe('toAuthError by AADSTS number', () => {
    const cases: Array<[number, string, RegExp]> = [
      [7000215, 'auth_bad_secret', /secret is wrong.*Value, not the Secret ID/],
      [7000222, 'auth_secret_expired', /has expired. Create a new one/],
      [7000218, 'auth_no_secret', /No client secret is stored/],
      [
        700016,
        'auth_app_not_found',
        /Application aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee was not found in tenant 11111111-/,
      ],
      [7000112, 'auth_app_disabled', /disabled in Entra ID/],
      [
        90002,
        'auth_tenant_not_found',
        /Tenant 11111111-2222-3333-4444-555555555555 does not exist in this cloud.*government/,
      ],
      [900023, 'auth_tenant_invalid', /must be a GUID or a verified domain name/],
      [90038, 'auth_wrong_cloud', /another cloud .*Pick the matching region/],
      [900382, 'auth_wrong_cloud', /another cloud/],
      [900432, 'auth_wrong_cloud', /another cloud/],
      [500011, 'auth_resource_missing', /not provisioned in this tenant or cloud/],
      [53003, 'auth_conditional_access', /Conditional Access/],
      [70011, 'auth_bad_scope', /bug in the add-on/],
      [700022, 'auth_bad_scope', /two resources/],
    ];
    for (const [code, expected, text] of cases) {
      it(`explains AADSTS${code} as ${expected}`, () => {
        const e = toAuthError(serverError(code), ctx);
        expect(e).to.be.instanceOf(AuthError);
        expect(e.code).to.equal(expected);
        expect(e.aadsts).to.equal(code);
        expect(e.retryable).to.equal(false);
        expect(e.message).to.match(text);
        expect(e.message).to.include(`AADSTS${code}`);
        expect(e.message).to.include('correlation id corr-1');
      });
    }

    it('marks throttling (90055) and transient errors (50000, 90033) retryable', () => {
      expect(toAuthError(serverError(90055, 'temporarily_unavailable', 429), ctx)).to.include({
        code: 'auth_throttled',
        retryable: true,
      });
      expect(toAuthError(serverError(50000, 'temporarily_unavailable', 503), ctx)).to.include({
        code: 'auth_unavailable',
        retryable: true,
      });
      expect(toAuthError(serverError(90033, 'temporarily_unavailable', 503), ctx)).to.include({
        code: 'auth_unavailable',
        retryable: true,
      });
    });

    it('names the cloud the input points at when the tenant is in another one', () => {
      expect(toAuthError(serverError(90038), { ...ctx, cloudName: 'US Government (GCC High)' }).message).to.include(
        'this input points at US Government (GCC High)',
      );
    });

    it('matches on the number, not the description text', () => {
      const e = toAuthError(
        serverError(7000215, 'invalid_client', 401, 'AADSTS7000215: Wording Microsoft changed last week.'),
        ctx,
      );
      expect(e.code).to.equal('auth_bad_secret');
      expect(e.message).not.to.include('Wording');
    });

    it('reads the number from the description when msal has no errorNo', () => {
      const e = toAuthError(
        new ServerError('invalid_client', 'c', 'AADSTS7000222: The provided client secret keys are expired.'),
        ctx,
      );
      expect(e.code).to.equal('auth_secret_expired');
    });

    it('reads the number msal replays from its throttle cache as the errorCode', () => {
      const e = toAuthError(new ServerError('90055', 'c', 'AADSTS90055: too many'), ctx);
      expect(e).to.include({ code: 'auth_throttled', aadsts: 90055 });
    });

    it('gives an unknown number with a link to the error page and one line of description', () => {
      const e = toAuthError(
        serverError(123456, 'invalid_request', 400, 'AADSTS123456: Something new.\r\nTrace ID: x'),
        ctx,
      );
      expect(e.code).to.equal('auth_failed');
      expect(e.message).to.include('https://login.microsoftonline.com/error?code=123456');
      expect(e.message).to.include('Something new.');
      expect(e.message).not.to.match(/[\r\n]/);
      expect(e.message).not.to.include('Trace ID');
    });
  });

  describe('toAuthError without a number', () => {
    const resolution = () => new ClientAuthError('endpoints_resolution_error', 'corr-2');

    it('reports msal endpoints_resolution_error as an unknown tenant', () => {
      const e = toAuthError(resolution(), ctx);
      expect(e).to.include({ code: 'auth_tenant_not_found', aadsts: 90002 });
      expect(e.message).to.match(/does not exist in this cloud/);
    });

    it('uses the openid-configuration body the transport saw, when it has a code', () => {
      const e = toAuthError(resolution(), {
        ...ctx,
        transport: {
          url: 'https://login.microsoftonline.com/x/v2.0/.well-known/openid-configuration',
          status: 400,
          body: { error: 'invalid_tenant', error_codes: [900023] },
        },
      });
      expect(e.code).to.equal('auth_tenant_invalid');
    });

    it('says the login host is unreachable when the metadata request never got an answer', () => {
      const e = toAuthError(resolution(), {
        ...ctx,
        transport: {
          url: 'https://login.example.test/t/v2.0/.well-known/openid-configuration',
          code: 'ECONNREFUSED',
          detail: 'connect ECONNREFUSED 127.0.0.1:9',
        },
      });
      expect(e).to.include({ code: 'auth_network', retryable: true });
      expect(e.message).to.include('login.example.test').and.include('proxy_url');
    });

    it('says the login host timed out', () => {
      const e = toAuthError(new ClientAuthError('network_error', 'corr-3'), {
        ...ctx,
        transport: { url: 'https://login.example.test/t/oauth2/v2.0/token', code: 'ETIMEDOUT' },
      });
      expect(e).to.include({ code: 'auth_timeout', retryable: true });
    });

    it('treats a 5xx from the metadata request as transient', () => {
      const e = toAuthError(resolution(), { ...ctx, transport: { url: 'https://login.example.test/t', status: 503 } });
      expect(e).to.include({ code: 'auth_unavailable', retryable: true });
    });

    it('names login_url when the metadata URL answers something else', () => {
      const e = toAuthError(resolution(), { ...ctx, transport: { url: 'https://login.example.test/t', status: 404 } });
      expect(e.code).to.equal('auth_login_url');
      expect(e.message).to.include('HTTP 404').and.include('login_url');
    });

    it('passes an AuthError through unchanged', () => {
      const original = new AuthError('auth_bad_secret', 'x');
      expect(toAuthError(original, ctx)).to.equal(original);
    });

    it('falls back to a generic message for anything else', () => {
      expect(toAuthError(new Error('boom'), ctx)).to.include({ code: 'auth_failed', retryable: false });
    });
  });

  describe('readAadstsCode', () => {
    it('prefers error_codes[0] of a token error body', () => {
      expect(
        readAadstsCode({ error: 'invalid_client', error_codes: [7000215, 1], error_description: 'AADSTS90002: x' }),
      ).to.equal(7000215);
    });
    it('returns undefined when there is no number', () => {
      expect(readAadstsCode({ error: 'invalid_client' })).to.equal(undefined);
      expect(readAadstsCode('AADSTS7000215')).to.equal(undefined);
    });
  });

  describe('describeForbidden', () => {
    const graph = 'https://graph.microsoft.com/v1.0/security/alerts_v2';
    const mde = 'https://api.security.microsoft.com/api/alerts';

    it('names the read permission for each api and "Grant admin consent"', () => {
      expect(describeForbidden({ url: `${graph}?$top=10` }))
        .to.include('SecurityAlert.Read.All')
        .and.include('Grant admin consent');
      expect(describeForbidden({ url: mde, api: 'mde' }))
        .to.include('Alert.Read.All')
        .and.include('WindowsDefenderATP');
    });

    it('names the write permission for updates and indicators', () => {
      expect(requiredPermission({ url: `${graph}/abc`, method: 'PATCH' })?.permission).to.equal(
        'SecurityAlert.ReadWrite.All',
      );
      expect(requiredPermission({ url: `${mde}/batchUpdate`, method: 'POST' })?.permission).to.equal(
        'Alert.ReadWrite.All',
      );
      expect(
        requiredPermission({ url: 'https://api.security.microsoft.com/api/indicators', method: 'POST' })?.permission,
      ).to.equal('Ti.ReadWrite.All');
    });

    it('sends the SIEM exporter to the portal SIEM integration, by api or by host', () => {
      expect(describeForbidden({ url: 'https://127.0.0.1:8443/api/alerts', api: 'siem' })).to.include(
        'enable SIEM integration',
      );
      expect(describeForbidden({ url: 'https://wdatp-alertexporter-eu.windows.com/api/alerts' })).to.include(
        'enable SIEM integration',
      );
    });

    it('maps by path, so an api_url override (emulator, private endpoint) still gets the right permission', () => {
      expect(requiredPermission({ url: 'https://localhost:8443/v1.0/security/alerts_v2' })?.permission).to.equal(
        'SecurityAlert.Read.All',
      );
    });

    it('gives generic advice for an unknown path', () => {
      expect(describeForbidden({ url: 'https://api.security.microsoft.com/api/machines' })).to.include(
        'Grant admin consent',
      );
    });
  });
});
