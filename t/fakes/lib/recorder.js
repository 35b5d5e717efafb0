'use strict';
// In-memory record of calls, in arrival order. Bounded (oldest dropped first)
// so long benchmark runs cannot exhaust memory; a limit of 0 records nothing.

const DEFAULT_LIMIT = 20000;

class CallRecorder {
  constructor(limit = DEFAULT_LIMIT) {
    this.limit = limit;
    this.trimSlack = Math.max(1, Math.floor(limit / 10));
    this.clear();
  }

  clear() {
    this.calls = [];
    this.seq = 0;
  }

  record(call) {
    call.seq = ++this.seq;
    if (this.limit === 0) return call;
    this.calls.push(call);
    if (this.calls.length > this.limit + this.trimSlack) {
      this.calls.splice(0, this.calls.length - this.limit);
    }
    return call;
  }

  // filter: {field: value} pairs that a call must equal (e.g. {method: "chat.update"}).
  list(filter = {}) {
    const wanted = Object.entries(filter).filter(([, value]) => value !== undefined);
    return this.calls.filter((call) => wanted.every(([key, value]) => String(call[key]) === value));
  }
}

// --max-calls as given on the command line (null: the default).
function recorderFromOption(value) {
  if (value === null || value === undefined) return new CallRecorder();
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 0) throw new Error('--max-calls must be a number >= 0');
  return new CallRecorder(limit);
}

module.exports = { CallRecorder, recorderFromOption };
