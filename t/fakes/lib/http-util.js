'use strict';
// HTTP helpers: reading bodies, parsing form / JSON / multipart arguments,
// answering JSON.

const MAX_BODY_BYTES = 10 * 1024 * 1024;

class HttpError extends Error {
  constructor(status, code, extra) {
    super(code);
    this.status = status;
    this.code = code;
    this.extra = extra || {};
  }
}

function readBody(req, maxBytes = MAX_BODY_BYTES) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new HttpError(413, 'request_too_large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// "application/json; charset=utf-8" -> {type: "application/json", params: {charset: "utf-8"}}
function parseContentType(header) {
  if (!header) return { type: '', params: {} };
  const [type, ...rest] = header.split(';');
  const params = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    params[name] = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase(), params };
}

// application/x-www-form-urlencoded (also query strings): the last value of a
// repeated name wins.
function parseForm(text) {
  const args = {};
  for (const [name, value] of new URLSearchParams(text)) args[name] = value;
  return args;
}

function partName(headerText) {
  const match = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headerText);
  return match ? match[1] : null;
}

// multipart/form-data with plain fields (no file handling needed by the fakes).
function parseMultipart(raw, boundary) {
  const args = {};
  const text = raw.toString('utf8');
  for (const part of text.split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const name = partName(part.slice(0, split));
    if (name !== null) args[name] = part.slice(split + 4).replace(/\r\n$/, '');
  }
  return args;
}

function parseJsonObject(text) {
  let value;
  try { value = JSON.parse(text); } catch (_) { return null; }
  return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sleep(ms) {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function bearerToken(req) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization || '');
  return match ? match[1] : null;
}

module.exports = {
  HttpError, MAX_BODY_BYTES, readBody, parseContentType, parseForm, parseMultipart,
  parseJsonObject, sendJson, sleep, bearerToken,
};
