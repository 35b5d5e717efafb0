'use strict';
// A Slack Web API error: answered as HTTP 200 {"ok":false,"error":code,...extra}.

class SlackError extends Error {
  constructor(code, extra) {
    super(code);
    this.code = code;
    this.extra = extra || {};
  }
}

// An error whose problems Slack lists in response_metadata.messages ("[ERROR] …").
function errorWithMessages(code, problems, extra = {}) {
  return new SlackError(code, {
    ...extra,
    response_metadata: { messages: problems.map((problem) => `[ERROR] ${problem}`) },
  });
}

function missingArgument(name) {
  return errorWithMessages('invalid_arguments', [`missing required field: ${name}`]);
}

module.exports = { SlackError, errorWithMessages, missingArgument };
