'use strict';
// --tokens-file: the bot tokens the fake has issued (OAuth exchanges, control
// calls) and their revocations, kept in a JSON file so that a restarted fake
// still knows the tokens a module stored (the `make run` sandbox keeps its
// database between runs; Slack keeps its tokens too).

const fs = require('fs');

function loadTokens(state, file) {
  if (!fs.existsSync(file)) return;
  for (const token of JSON.parse(fs.readFileSync(file, 'utf8'))) {
    state.addToken(token);
    if (token.revoked) state.revokeToken(token.token, token.revoked_error);
  }
}

// Written whole to a temporary file and renamed: a crash never leaves half a file.
function saveTokens(state, file) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify([...state.tokens.values()], null, 1), { mode: 0o600 });
  fs.renameSync(temporary, file);
}

function attachTokenFile(state, file) {
  loadTokens(state, file);
  state.onTokensChange = () => saveTokens(state, file);
}

module.exports = { attachTokenFile };
