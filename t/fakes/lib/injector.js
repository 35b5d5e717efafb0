'use strict';
// Failure / latency injection rules. A rule applies to calls whose key (a Slack
// method, an engine endpoint, an SMTP stage) equals rule.key, or to every key
// when rule.key is "*"; `match` narrows it to calls whose arguments carry the
// given values. `times` counts the calls it applies to (-1: until reset).

const { HttpError, sleep } = require('./http-util');

function checkTimes(times) {
  const value = times === undefined ? 1 : times;
  if (!Number.isInteger(value) || value === 0 || value < -1) {
    throw new HttpError(400, 'invalid_field', { field: 'times' });
  }
  return value;
}

function matches(rule, key, args) {
  if (rule.key !== '*' && rule.key !== key) return false;
  return Object.entries(rule.match).every(([name, value]) => String(args[name]) === String(value));
}

class Injector {
  constructor() {
    this.rules = [];
  }

  clear() {
    this.rules = [];
  }

  add(key, effect, times, match) {
    if (typeof key !== 'string' || key === '') {
      throw new HttpError(400, 'missing_field', { field: 'key' });
    }
    const rule = { key, ...effect, times: checkTimes(times), match: match || {}, applied: 0 };
    this.rules.push(rule);
    return rule;
  }

  // Returns the first rule that applies to this call and uses one of its times.
  take(key, args = {}) {
    const rule = this.rules.find((candidate) => matches(candidate, key, args));
    if (!rule) return null;
    rule.applied++;
    if (rule.times > 0 && --rule.times === 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return rule;
  }

  // Applies the first matching rule: waits its latency, then returns
  // answerFor(rule) (null when the rule only adds latency). Null when no rule applies.
  async intercept(key, args, answerFor) {
    const rule = this.take(key, args);
    if (!rule) return null;
    if (rule.latency_ms > 0) await sleep(rule.latency_ms);
    return answerFor(rule);
  }

  list() {
    return this.rules;
  }
}

module.exports = { Injector };
