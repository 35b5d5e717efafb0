#!/usr/bin/env node
'use strict';
// Checks Block Kit messages, one JSON object a line on stdin (what
// test_blocks writes to $SAP_BLOCKS_DUMP), with the fake Slack's own
// validator: whatever it refuses, real Slack refuses. Exits 1 with the
// errors when any message is invalid, or when there is no message at all
// (an empty dump means the dump did not happen).
//
//   rm -f /tmp/blocks.jsonl
//   SAP_BLOCKS_DUMP=/tmp/blocks.jsonl build/unit/test_blocks
//   node t/unit/check-blocks.js < /tmp/blocks.jsonl

const { LIMITS, validateMessageBlocks, charCount } = require('../fakes/lib/blockkit.js');

// Above this much text in its blocks Slack answers msg_blocks_too_long
// (slack-notes.md "Block Kit limits"); the fake does not check it.
const BLOCKS_TEXT_MAX = 12000;

function blocksText(value) {
  if (Array.isArray(value)) return value.reduce((sum, item) => sum + blocksText(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return Object.entries(value).reduce((sum, [key, member]) => sum
    + (key === 'text' && typeof member === 'string' ? charCount(member) : blocksText(member)), 0);
}

function messageErrors(message) {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    return ['not a JSON object'];
  }
  const errors = [];
  if (typeof message.text !== 'string' || message.text === '') errors.push('no fallback text');
  else if (charCount(message.text) > LIMITS.MESSAGE_TEXT) errors.push('msg_too_long');
  if (!Array.isArray(message.blocks)) return errors.concat('blocks is not an array');
  errors.push(...validateMessageBlocks(message.blocks));
  if (blocksText(message.blocks) > BLOCKS_TEXT_MAX) errors.push('msg_blocks_too_long');
  return errors;
}

function lineErrors(line) {
  try {
    return messageErrors(JSON.parse(line));
  } catch (error) {
    return [`not JSON: ${error.message}`];
  }
}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

async function main() {
  const lines = (await readStdin()).split('\n');
  let checked = 0;
  let invalid = 0;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    checked++;
    const errors = lineErrors(line);
    if (!errors.length) return;
    invalid++;
    for (const error of errors) console.error(`line ${index + 1}: ${error}`);
  });
  if (checked === 0) {
    console.error('check-blocks: no message on stdin');
    return 1;
  }
  console.log(`check-blocks: ${checked - invalid} of ${checked} message(s) valid`);
  return invalid ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (error) => {
  console.error(`check-blocks: ${error.message}`);
  process.exitCode = 1;
});
