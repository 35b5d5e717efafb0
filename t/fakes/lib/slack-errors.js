'use strict';
// A Slack Web API error: answered as HTTP 200 {"ok":false,"error":code,...extra}.

class SlackError extends Error {
  constructor(code, extra) {
    super(code);
    this.code = code;
    this.extra = extra || {};
  }
}

function missingArgument(name) {
  return new SlackError('invalid_arguments', {
    response_metadata: { messages: [`[ERROR] missing required field: ${name}`] },
  });
}

module.exports = { SlackError, missingArgument };
