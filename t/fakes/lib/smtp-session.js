'use strict';
// One SMTP (RFC 5321) server session of the sink: commands in, replies out,
// DATA with dot-unstuffing. Pipelined commands are answered in order.

const LF = 0x0a;
const MAX_COMMAND_LINE = 1000;
const MAX_RECIPIENTS = 100;
const NOT_IMPLEMENTED = ['EXPN', 'TURN', 'ETRN', 'STARTTLS', 'AUTH', 'BDAT', 'ATRN'];
const INJECTED_TEXT = {
  421: 'Service not available, closing transmission channel',
  450: 'Mailbox unavailable', 451: 'Local error in processing', 452: 'Insufficient system storage',
  550: 'Mailbox unavailable', 552: 'Exceeded storage allocation', 553: 'Mailbox name not allowed',
  554: 'Transaction failed',
};

function injectedText(rule) {
  return rule.message || INJECTED_TEXT[rule.code] || 'Injected failure';
}

function parsePath(rest, keyword) {
  const match = new RegExp(`^${keyword}:\\s*<([^>]*)>\\s*(.*)$`, 'i').exec(rest);
  if (!match) return null;
  return { address: match[1], params: match[2].split(/\s+/).filter(Boolean) };
}

function splitCommand(line) {
  const space = line.indexOf(' ');
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  return { verb, rest: space < 0 ? '' : line.slice(space + 1).trim() };
}

class SmtpSession {
  // sink: {hostname, maxSize, injector, storeMessage(message)}
  constructor(socket, sink) {
    this.socket = socket;
    this.sink = sink;
    this.buffer = Buffer.alloc(0);
    this.helo = null;
    this.esmtp = false;
    this.rejected = false;
    this.closed = false;
    this.resetTransaction();
  }

  start() {
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', () => { this.closed = true; });
    this.socket.on('close', () => { this.closed = true; });
    this.greet();
  }

  greet() {
    const rule = this.sink.injector.take('connect', {});
    if (!rule) return this.reply(220, `${this.sink.hostname} ESMTP smtp-sink ready`);
    this.reply(rule.code, injectedText(rule));
    if (rule.code === 421) this.close();
    else this.rejected = true;
  }

  resetTransaction() {
    this.mail = null;
    this.recipients = [];
    this.inData = false;
    this.dataLines = [];
    this.dataSize = 0;
  }

  reply(code, text) {
    if (!this.closed) this.socket.write(`${code} ${text}\r\n`);
  }

  replyLines(code, lines) {
    const last = lines.length - 1;
    const text = lines.map((line, i) => `${code}${i === last ? ' ' : '-'}${line}\r\n`).join('');
    if (!this.closed) this.socket.write(text);
  }

  close() {
    this.closed = true;
    this.socket.end();
  }

  onData(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    let newline;
    while (!this.closed && (newline = this.buffer.indexOf(LF)) >= 0) {
      const end = newline > 0 && this.buffer[newline - 1] === 0x0d ? newline - 1 : newline;
      const line = this.buffer.subarray(0, end);
      this.buffer = this.buffer.subarray(newline + 1);
      if (this.inData) this.dataLine(line);
      else this.commandLine(line.toString('utf8'));
    }
    if (!this.inData && this.buffer.length > MAX_COMMAND_LINE) {
      this.buffer = Buffer.alloc(0);
      this.reply(500, 'Error: line too long');
    }
  }

  commandLine(line) {
    if (line.length > MAX_COMMAND_LINE) return this.reply(500, 'Error: line too long');
    const { verb, rest } = splitCommand(line);
    if (this.rejected && verb !== 'QUIT') return this.reply(503, 'Error: no valid service');
    const handler = COMMANDS[verb];
    if (handler) return handler.call(this, rest);
    if (NOT_IMPLEMENTED.includes(verb)) return this.reply(502, 'Error: command not implemented');
    return this.reply(500, verb ? 'Error: command not recognized' : 'Error: bad syntax');
  }

  greeting(rest, extended) {
    if (!rest) return this.reply(501, `Syntax: ${extended ? 'EHLO' : 'HELO'} hostname`);
    this.helo = rest;
    this.esmtp = extended;
    this.resetTransaction();
    if (!extended) return this.reply(250, this.sink.hostname);
    return this.replyLines(250, [this.sink.hostname, '8BITMIME', `SIZE ${this.sink.maxSize}`, 'PIPELINING']);
  }

  // An injected reply for this stage, if any (true when one was sent).
  injected(stage, args) {
    const rule = this.sink.injector.take(stage, args);
    if (!rule) return false;
    this.reply(rule.code, injectedText(rule));
    return true;
  }

  // MAIL parameters are an ESMTP extension: none are allowed after HELO.
  mailParamsError(params) {
    if (!this.esmtp && params.length) return [555, 'Unsupported option'];
    for (const param of params) {
      const [name, value] = param.toUpperCase().split('=');
      if (name === 'SIZE' && Number(value) > this.sink.maxSize) return [552, 'Message size exceeds fixed limit'];
      if (name === 'BODY' && !['7BIT', '8BITMIME'].includes(value)) return [501, 'Unsupported BODY type'];
      if (name !== 'SIZE' && name !== 'BODY') return [555, 'Unsupported option'];
    }
    return null;
  }

  mailFrom(rest) {
    if (!this.helo) return this.reply(503, 'Error: send HELO/EHLO first');
    if (this.mail) return this.reply(503, 'Error: nested MAIL command');
    const path = parsePath(rest, 'FROM');
    if (!path) return this.reply(501, 'Syntax: MAIL FROM:<address>');
    const problem = this.mailParamsError(path.params);
    if (problem) return this.reply(...problem);
    if (this.injected('mail', { address: path.address })) return undefined;
    this.mail = path;
    return this.reply(250, 'Ok');
  }

  rcptTo(rest) {
    if (!this.mail) return this.reply(503, 'Error: need MAIL command');
    const path = parsePath(rest, 'TO');
    if (!path || !path.address) return this.reply(501, 'Syntax: RCPT TO:<address>');
    if (this.recipients.length >= MAX_RECIPIENTS) return this.reply(452, 'Error: too many recipients');
    if (this.injected('rcpt', { address: path.address })) return undefined;
    this.recipients.push(path.address);
    return this.reply(250, 'Ok');
  }

  data(rest) {
    if (rest) return this.reply(501, 'Syntax: DATA');
    if (!this.mail) return this.reply(503, 'Error: need MAIL command');
    if (!this.recipients.length) return this.reply(503, 'Error: need RCPT command');
    if (this.injected('data', {})) return undefined;
    this.inData = true;
    return this.reply(354, 'End data with <CR><LF>.<CR><LF>');
  }

  dataLine(line) {
    if (line.length === 1 && line[0] === 0x2e) return this.endData();
    const unstuffed = line[0] === 0x2e ? line.subarray(1) : line;
    this.dataSize += unstuffed.length + 2;
    if (this.dataSize <= this.sink.maxSize) this.dataLines.push(Buffer.from(unstuffed));
    return undefined;
  }

  endData() {
    const tooLarge = this.dataSize > this.sink.maxSize;
    const envelope = { mail: this.mail, recipients: this.recipients, lines: this.dataLines };
    this.resetTransaction();
    if (tooLarge) return this.reply(552, 'Error: message exceeds fixed maximum message size');
    if (this.injected('data_end', {})) return undefined;
    const id = this.sink.storeMessage(this.messageFrom(envelope));
    return this.reply(250, `Ok: queued as ${id}`);
  }

  messageFrom({ mail, recipients, lines }) {
    const data = Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\r\n')])).toString('utf8');
    return {
      helo: this.helo, esmtp: this.esmtp, mail_from: mail.address, mail_params: mail.params, rcpt_to: recipients, data,
    };
  }
}

const COMMANDS = {
  HELO(rest) { return this.greeting(rest, false); },
  EHLO(rest) { return this.greeting(rest, true); },
  MAIL(rest) { return this.mailFrom(rest); },
  RCPT(rest) { return this.rcptTo(rest); },
  DATA(rest) { return this.data(rest); },
  RSET(rest) {
    if (rest) return this.reply(501, 'Syntax: RSET');
    this.resetTransaction();
    return this.reply(250, 'Ok');
  },
  NOOP() { return this.reply(250, 'Ok'); },
  VRFY() { return this.reply(252, 'Cannot VRFY user, but will accept message and attempt delivery'); },
  HELP() { return this.reply(214, 'Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY'); },
  QUIT() {
    this.reply(221, 'Bye');
    return this.close();
  },
};

module.exports = { SmtpSession };
