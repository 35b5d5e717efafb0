'use strict';
// Outbound HTTP from a fake to the module under test (signed Slack and engine
// deliveries). Answers {status, headers, body} or throws on transport errors.

const http = require('http');
const https = require('https');
const { HttpError } = require('./http-util');
const { sign } = require('./signing');

const DELIVERY_TIMEOUT_MS = 30000;

function transportFor(url) {
  if (url.protocol === 'http:') return http;
  if (url.protocol === 'https:') return https;
  throw new HttpError(400, 'invalid_field', { field: 'url' });
}

function parseUrl(text) {
  try { return new URL(text); } catch (_) {
    throw new HttpError(400, 'invalid_field', { field: 'url' });
  }
}

function request(urlText, { method = 'POST', headers = {}, body = '' } = {}) {
  const url = parseUrl(urlText);
  const transport = transportFor(url);
  const payload = Buffer.from(body);
  const options = {
    method,
    headers: { 'Content-Length': payload.length, ...headers },
    rejectUnauthorized: false,
    timeout: DELIVERY_TIMEOUT_MS,
  };
  return new Promise((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(new HttpError(502, 'delivery_failed', { message: err.message })));
    req.end(payload);
  });
}

// Signs `body` with `secret` (header names from signing.js) and POSTs it;
// `extraHeaders` are applied last, so a test can replace a signature.
async function postSigned({ url, body, contentType, secret, timestamp, names, extraHeaders }) {
  const headers = {
    'Content-Type': contentType,
    ...sign(secret, body, timestamp, names),
    ...(extraHeaders || {}),
  };
  const answer = await request(url, { headers, body });
  return { ...answer, json: tryParseJson(answer.body), request: { headers, body } };
}

function tryParseJson(text) {
  try { return JSON.parse(text); } catch (_) { return null; }
}

module.exports = { request, postSigned };
