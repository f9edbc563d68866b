import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatArgument, formatScheme } from '../../../src/modinput/scheme.js';
import type { SchemeArgument, SchemeDefinition } from '../../../src/modinput/scheme-types.js';
import { expect } from 'chai';
import { expectXmlEqual } from '../../helpers/xml-equal.js';
import { PYTHON_SET, SDK_SETS } from './fixtures.js';

const FANCY = '\uC3BC and \uC3B6 and <&> f\u00FCr';

const withDefaults: SchemeDefinition = {
  title: 'abcd',
  description: '',
  useExternalValidation: true,
  useSingleInstance: false,
  streamingMode: 'xml',
  args: [],
};

const plainArg: SchemeArgument = {
  name: 'arg1',
  title: '',
  description: '',
  dataType: 'string',
  requiredOnCreate: false,
  requiredOnEdit: false,
};
const fullArg: SchemeArgument = {
  name: 'arg2',
  title: '',
  description: FANCY,
  validation: "is_pos_int('some_name')",
  dataType: 'number',
  requiredOnCreate: true,
  requiredOnEdit: true,
};
const withoutDefaults: SchemeDefinition = {
  title: 'abcd',
  description: FANCY,
  useExternalValidation: false,
  useSingleInstance: true,
  streamingMode: 'simple',
  args: [plainArg, fullArg],
};

describe('modinput/scheme', () => {
  for (const { label, dir } of SDK_SETS) {
    it(`matches ${label} scheme_with_defaults.xml`, () => {
      expectXmlEqual(formatScheme(withDefaults), readFileSync(join(dir, 'scheme_with_defaults.xml')));
    });

    it(`matches ${label} scheme_without_defaults.xml (non-ASCII and escaped text)`, () => {
      expectXmlEqual(formatScheme(withoutDefaults), readFileSync(join(dir, 'scheme_without_defaults.xml')));
    });

    it(`matches ${label} argument_with_defaults.xml and argument_without_defaults.xml`, () => {
      expectXmlEqual(
        formatArgument({ ...plainArg, name: 'some_name' }),
        readFileSync(join(dir, 'argument_with_defaults.xml')),
      );
      expectXmlEqual(
        formatArgument({ ...fullArg, name: 'some_name', dataType: 'boolean' }),
        readFileSync(join(dir, 'argument_without_defaults.xml')),
      );
    });
  }

  it('matches python scheme_without_defaults_and_argument_title.xml (argument titles)', () => {
    const titled = { ...withoutDefaults, args: [plainArg, { ...fullArg, title: 'Argument for ``test_scheme``' }] };
    expectXmlEqual(
      formatScheme(titled),
      readFileSync(join(PYTHON_SET, 'scheme_without_defaults_and_argument_title.xml')),
    );
  });

  it('writes no XML declaration and emits booleans lower-case', () => {
    const xml = formatScheme(withDefaults);
    expect(xml.startsWith('<scheme>')).to.equal(true);
    expect(xml).to.contain('<use_external_validation>true</use_external_validation>');
    expect(xml).to.contain('<use_single_instance>false</use_single_instance>');
  });

  it('escapes an argument name in its attribute', () => {
    expect(formatArgument({ ...plainArg, name: 'a"b' })).to.contain('<arg name="a&quot;b">');
  });
});
