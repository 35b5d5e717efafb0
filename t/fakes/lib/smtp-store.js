'use strict';
// Messages received by the SMTP sink, with their headers parsed.

function splitHeader(line) {
  const colon = line.indexOf(':');
  return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
}

// Header section -> [[name, value], ...] with folded lines unfolded.
function parseHeaderList(section) {
  const list = [];
  for (const line of section.split('\r\n')) {
    if (/^[ \t]/.test(line) && list.length) list[list.length - 1][1] += ` ${line.trim()}`;
    else if (line.includes(':')) list.push(splitHeader(line));
  }
  return list;
}

function splitMessage(data) {
  const blank = data.indexOf('\r\n\r\n');
  if (blank < 0) return { headerSection: data.replace(/\r\n$/, ''), body: '' };
  return { headerSection: data.slice(0, blank), body: data.slice(blank + 4) };
}

// headers: lower-cased name -> first value; header_list keeps every header in order.
function parseMessage(data) {
  const { headerSection, body } = splitMessage(data);
  const headerList = parseHeaderList(headerSection);
  const headers = {};
  for (const [name, value] of headerList) {
    const key = name.toLowerCase();
    if (!(key in headers)) headers[key] = value;
  }
  return { headers, header_list: headerList, body };
}

function mentions(list, address) {
  return list.some((entry) => entry.toLowerCase() === address.toLowerCase());
}

class MessageStore {
  constructor() {
    this.clear();
  }

  clear() {
    this.messages = [];
    this.count = 0;
  }

  // envelope: {helo, esmtp, mail_from, mail_params, rcpt_to, data}; returns the queue id.
  add(envelope) {
    const id = `SINK${String(++this.count).padStart(6, '0')}`;
    const size = Buffer.byteLength(envelope.data);
    this.messages.push({ id, ...envelope, ...parseMessage(envelope.data), size, received_at: new Date().toISOString() });
    return id;
  }

  // filter: {to, from} (case-insensitive addresses)
  list(filter = {}) {
    return this.messages.filter((message) => (!filter.to || mentions(message.rcpt_to, filter.to))
      && (!filter.from || message.mail_from.toLowerCase() === filter.from.toLowerCase()));
  }
}

module.exports = { MessageStore, parseMessage };
