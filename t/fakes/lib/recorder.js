'use strict';
// In-memory record of calls, in arrival order, bounded so long benchmark runs
// cannot exhaust memory.

const DEFAULT_LIMIT = 100000;
const TRIM_SLACK = 1000;

class CallRecorder {
  constructor(limit = DEFAULT_LIMIT) {
    this.limit = limit;
    this.clear();
  }

  clear() {
    this.calls = [];
    this.seq = 0;
  }

  record(call) {
    call.seq = ++this.seq;
    this.calls.push(call);
    if (this.calls.length > this.limit + TRIM_SLACK) {
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

module.exports = { CallRecorder };
