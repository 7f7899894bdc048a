// A stand-in for the Serverless Devs fc3 component, for `make verify-syaml` only. `s verify`
// asks a resource's component for its props schema (getSchema, a JSON string) and validates the
// props with it; the real component's registry is not reachable from CI, so this serves the
// copy of the fc3 schema kept in the repository. Every other command is refused.
'use strict';
const fs = require('fs');
const path = require('path');

// internal/deploytest/testdata/fc3, from internal/deploytest/sdevs/fc3-schema.
const schemaFile = path.join(__dirname, '..', '..', 'testdata', 'fc3', 'fc3-function-props.schema.json');

class FC3SchemaStandIn {
  getSchema() {
    return fs.readFileSync(schemaFile, 'utf8');
  }
}

for (const command of ['deploy', 'remove', 'invoke', 'info', 'plan', 'logs', 'build', 'local']) {
  FC3SchemaStandIn.prototype[command] = async function () {
    throw new Error(`this is the schema-only stand-in for fc3 (internal/deploytest/sdevs/fc3-schema): it cannot ${command}`);
  };
}

module.exports = FC3SchemaStandIn;
