import { expect } from 'chai';
import { ModinputProtocolError } from '../../../src/modinput/protocol-error.js';
import { parseValidationDefinition } from '../../../src/modinput/validation-definition.js';
import { decodeXmlBytes } from '../../../src/modinput/xml-decode.js';
import { PYTHON_SET, readFixture, SDK_SETS } from './fixtures.js';

const HEAD =
  '<items><server_host>h</server_host><server_uri>https://127.0.0.1:8089</server_uri><session_key>k</session_key><checkpoint_dir>/d</checkpoint_dir>';

describe('modinput/validation-definition', () => {
  for (const { label, dir } of SDK_SETS) {
    it(`parses ${label} validation.xml: metadata and the one item with params and param_lists`, () => {
      expect(parseValidationDefinition(decodeXmlBytes(readFixture(dir, 'validation.xml')))).to.deep.equal({
        serverHost: 'tiny',
        serverUri: 'https://127.0.0.1:8089',
        sessionKey: '123102983109283019283',
        checkpointDir: '/opt/splunk/var/lib/splunk/modinputs',
        item: {
          name: 'aaa',
          app: undefined,
          params: {
            param1: 'value1',
            param2: 'value2',
            disabled: '0',
            index: 'default',
            multiValue: ['value1', 'value2'],
            multiValue2: ['value3', 'value4'],
          },
        },
      });
    });
  }

  it('rejects <items> without an item and with two, since only one would be checked', () => {
    expect(() => parseValidationDefinition(`${HEAD}</items>`)).to.throw(
      ModinputProtocolError,
      /exactly one <item> under <items>, but holds 0/,
    );
    expect(() => parseValidationDefinition(`${HEAD}<item name="a"/><item name="b"/></items>`)).to.throw(
      ModinputProtocolError,
      /but holds 2/,
    );
  });

  it('rejects an unknown element inside the item, naming it', () => {
    expect(() =>
      parseValidationDefinition(`${HEAD}<item name="a"><editor name="x">1</editor></item></items>`),
    ).to.throw(ModinputProtocolError, /Unexpected element <editor> at line 1, column \d+ inside <item name="a">/);
  });

  it('rejects a run-mode input definition given to --validate-arguments', () => {
    expect(() => parseValidationDefinition(decodeXmlBytes(readFixture(PYTHON_SET, 'conf_with_0_inputs.xml')))).to.throw(
      ModinputProtocolError,
      /must be an <items> document/,
    );
  });
});
