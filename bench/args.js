'use strict';
// Options of the bench helpers: the fakes' parser (--name value or
// --name=value, unknown options refused), and a null default means required.

const cli = require('../t/fakes/lib/cli');

function parseArgs(argv, defaults) {
  const opts = cli.parseArgs(argv, defaults);
  for (const [key, value] of Object.entries(opts)) {
    if (value === null) throw new Error(`--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is required`);
  }
  return opts;
}

module.exports = { parseArgs };
