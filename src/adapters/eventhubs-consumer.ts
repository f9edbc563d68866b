/**
 * The Event Hubs side of the stream input on @azure/event-hubs: one EventHubConsumerClient per stanza, signed in with
 * a SAS connection string or with our msal-node token provider wrapped as the SDK's TokenCredential, reaching the
 * namespace directly (AMQP over TLS, port 5671), through a custom endpoint, or through a proxy (AMQP over WebSockets
 * on port 443, `ws` with hpagent's CONNECT agent, as Azure's own sample does:
 * https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/eventhub/event-hubs/samples/v5/javascript/websockets.js).
 */
import { EventHubConsumerClient, type EventHubClientOptions, type RetryOptions } from '@azure/event-hubs';
import { HttpsProxyAgent } from 'hpagent';
import WebSocket from 'ws';
import type { TokenProvider } from '../ports.js';

/** The SDK's TokenCredential, structurally (its type lives in @azure/core-auth, which we do not import). */
export interface EventHubsTokenCredential {
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export interface EventHubsConsumerOptions {
  consumerGroup: string;
  namespace: string;
  hub: string;
  auth: { kind: 'sas'; connectionString: string } | { kind: 'entra'; credential: EventHubsTokenCredential };
  /** `sb://host:port`. */
  customEndpointAddress: string | undefined;
  /** `http(s)://[user:pass@]host:port`: AMQP over WebSockets through it. */
  proxyUrl: string | undefined;
  retry: RetryOptions;
}

export function createEventHubsConsumer(options: EventHubsConsumerOptions): EventHubConsumerClient {
  const clientOptions: EventHubClientOptions = {
    retryOptions: options.retry,
    userAgent: 'TA-microsoft-defender',
    ...(options.customEndpointAddress ? { customEndpointAddress: options.customEndpointAddress } : {}),
    ...(options.proxyUrl
      ? {
          webSocketOptions: {
            webSocket: WebSocket,
            webSocketConstructorOptions: {
              agent: new HttpsProxyAgent({ proxy: new URL(options.proxyUrl), keepAlive: true }),
            },
          },
        }
      : {}),
  };
  if (options.auth.kind === 'entra') {
    return new EventHubConsumerClient(
      options.consumerGroup,
      options.namespace,
      options.hub,
      options.auth.credential,
      clientOptions,
    );
  }
  const connectionString = options.auth.connectionString;
  // A hub-level policy's string names its hub (EntityPath); the SDK refuses a second name then.
  return /;\s*EntityPath\s*=/i.test(`;${connectionString}`)
    ? new EventHubConsumerClient(options.consumerGroup, connectionString, clientOptions)
    : new EventHubConsumerClient(options.consumerGroup, connectionString, options.hub, clientOptions);
}

/**
 * Our token provider as the SDK's TokenCredential. The SDK asks for `https://eventhubs.azure.net//.default` (its own
 * constant); the provider asks Entra ID for the scope it was built with. The expiry comes from the token's `exp` claim
 * (Entra's access tokens are JWTs); a token that is not one is treated as valid for 5 minutes, so the SDK renews early.
 */
export function asTokenCredential(provider: TokenProvider, nowMs: () => number): EventHubsTokenCredential {
  return {
    async getToken() {
      const token = await provider.getToken();
      return { token, expiresOnTimestamp: expiryOf(token) ?? nowMs() + 5 * 60_000 };
    },
  };
}

/** The `exp` claim of a JWT, in epoch ms; undefined when the token is not a readable JWT. */
export function expiryOf(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
