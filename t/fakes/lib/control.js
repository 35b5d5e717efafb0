'use strict';
// Control-API routes that every fake shares: recorded calls and injections.

const { HttpError } = require('./http-util');

// Defined objects may be posted one at a time or as an array (bulk set-up).
function eachItem(body, define) {
  const items = Array.isArray(body) ? body : [body];
  return items.map((item) => define(item || {}));
}

// A route handler that defines items (one object or an array) after checking
// their required fields; answers {ok, items}.
function definer(fields, define) {
  return (ctx) => ({
    ok: true,
    items: eachItem(ctx.json(), (item) => { requireFields(item, fields); return define(item); }),
  });
}

// Forgets a fake's world, recorded calls and injections.
function clearFake(fake) {
  fake.state.reset();
  fake.recorder.clear();
  fake.injector.clear();
}

function requireFields(item, fields) {
  for (const field of fields) {
    if (item[field] === undefined || item[field] === null || item[field] === '') {
      throw new HttpError(400, 'missing_field', { field });
    }
  }
}

// GET /_control/calls?<field>=value..., DELETE /_control/calls
function addCallRoutes(router, recorder) {
  router.add('GET', '/_control/calls', (ctx) => ({ calls: recorder.list(ctx.query) }));
  router.add('DELETE', '/_control/calls', () => { recorder.clear(); return { ok: true }; });
}

// POST /_control/inject (toRule maps the posted spec to Injector.add arguments),
// GET /_control/inject, DELETE /_control/inject
function addInjectRoutes(router, injector, toRule) {
  router.add('POST', '/_control/inject', (ctx) => ({
    ok: true,
    injections: eachItem(ctx.json(), (spec) => {
      const { key, effect, times, match } = toRule(spec);
      return injector.add(key, effect, times, match);
    }),
  }));
  router.add('GET', '/_control/inject', () => ({ injections: injector.list() }));
  router.add('DELETE', '/_control/inject', () => { injector.clear(); return { ok: true }; });
}

// The effect of an HTTP injection: latency, a status, an error code.
function httpInjection(spec, keyField) {
  return {
    key: spec[keyField] === undefined ? '*' : spec[keyField],
    effect: {
      status: spec.status === undefined ? null : Number(spec.status),
      retry_after: spec.retry_after === undefined ? null : Number(spec.retry_after),
      error: spec.error || null,
      latency_ms: Number(spec.latency_ms || 0),
      body: spec.body === undefined ? null : spec.body,
    },
    times: spec.times,
    match: spec.match,
  };
}

module.exports = {
  eachItem, definer, clearFake, requireFields, addCallRoutes, addInjectRoutes, httpInjection,
};
