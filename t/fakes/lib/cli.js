'use strict';
// Command-line parsing, secrets from files, READY line, pid file and signals:
// the process plumbing every fake shares.

const fs = require('fs');

function optionKey(flag) {
  return flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

// Parses `--name value` and `--name=value`. Only names present in `defaults`
// are accepted (camelCase keys for dashed flags); every option takes a value.
function parseArgs(argv, defaults) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    const key = optionKey(flag);
    if (!(key in defaults)) throw new Error(`unknown option --${flag}`);
    if (value === undefined) throw new Error(`option --${flag} needs a value`);
    opts[key] = value;
  }
  return opts;
}

function parsePort(value, flag) {
  if (value === null || value === undefined) return null;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--${flag} must be a port number (0 picks a free one)`);
  }
  return port;
}

// A secret given inline or in a file; a trailing newline in the file is not
// part of the secret (DESIGN section 3).
function readSecret(inline, file) {
  if (file) return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  return inline || '';
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve(server.address().port);
    });
  });
}

function removePidFile(pidFile) {
  if (!pidFile) return;
  try { fs.unlinkSync(pidFile); } catch (_) { /* already gone */ }
}

function exitOnSignals(pidFile) {
  const stop = () => { removePidFile(pidFile); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Writes the pid file, installs signal handlers and prints the one READY line.
function announceReady(ports, pidFile) {
  process.stdout.on('error', () => { /* reader went away: keep serving */ });
  if (pidFile) fs.writeFileSync(pidFile, `${process.pid}\n`);
  exitOnSignals(pidFile);
  process.stdout.write(`READY ${JSON.stringify(ports)}\n`);
}

// Runs an async main(); a startup failure prints one line and exits 2.
function runMain(name, main) {
  main().catch((err) => {
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exit(2);
  });
}

module.exports = { parseArgs, parsePort, readSecret, listen, announceReady, runMain };
