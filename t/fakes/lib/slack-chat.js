'use strict';
// chat.postMessage, chat.update, chat.postEphemeral.

const { SlackError, errorWithMessages } = require('./slack-errors');
const { LIMITS, validateMessageBlocks, parseBlocksArgument, charCount } = require('./blockkit');

const PUBLIC_MESSAGE_FIELDS = ['type', 'user', 'bot_id', 'app_id', 'team', 'text', 'blocks',
  'attachments', 'ts', 'thread_ts', 'edited'];

function publicMessage(message) {
  const view = {};
  for (const field of PUBLIC_MESSAGE_FIELDS) {
    if (message[field] !== undefined) view[field] = message[field];
  }
  return view;
}

function canPost(token, channel) {
  if (channel.bot_member) return true;
  return !channel.is_private && token.scopes.includes('chat:write.public');
}

// The channel to post to, or the error Slack gives for it.
function postableChannel(ctx, ref) {
  const channel = ref ? ctx.state.resolveChannel(ctx.team.id, ref) : null;
  if (!channel) throw new SlackError('channel_not_found');
  if (channel.is_archived) throw new SlackError('is_archived');
  if (!canPost(ctx.token, channel)) throw new SlackError('not_in_channel');
  return channel;
}

function invalidBlocks(errors) {
  return errorWithMessages('invalid_blocks', errors, { errors });
}

function parseAttachments(value) {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try { return JSON.parse(value); } catch (_) { throw new SlackError('invalid_attachments'); }
}

// text / blocks / attachments of a message; no_text when there is none of them.
function messageContent(args) {
  const parsed = parseBlocksArgument(args.blocks);
  if (parsed.error) throw new SlackError(parsed.error);
  const content = {
    text: args.text === undefined || args.text === null ? undefined : String(args.text),
    blocks: parsed.blocks,
    attachments: parseAttachments(args.attachments),
  };
  const hasBlocks = content.blocks && content.blocks.length > 0;
  if (!content.text && !hasBlocks && !content.attachments) throw new SlackError('no_text');
  if (content.blocks) {
    const errors = validateMessageBlocks(content.blocks);
    if (errors.length) throw invalidBlocks(errors);
  }
  return content;
}

function rejectLongText(text) {
  if (text !== undefined && charCount(text) > LIMITS.MESSAGE_TEXT) throw new SlackError('msg_too_long');
}

function truncateLongText(ctx, content) {
  if (content.text === undefined || charCount(content.text) <= LIMITS.MESSAGE_TEXT) return;
  content.text = [...content.text].slice(0, LIMITS.MESSAGE_TEXT).join('');
  ctx.warn('message_truncated');
}

function newMessage(ctx, channel, content, extra) {
  const message = {
    type: 'message',
    channel: channel.id,
    ts: ctx.state.nextTs(),
    user: ctx.token.bot_user_id,
    bot_id: ctx.token.bot_id,
    app_id: ctx.token.app_id,
    team: ctx.team.id,
    text: content.text || '',
    is_ephemeral: false,
    update_count: 0,
    ...extra,
  };
  if (content.blocks && content.blocks.length) message.blocks = content.blocks;
  if (content.attachments) message.attachments = content.attachments;
  return message;
}

function countReply(ctx, channel, threadTs) {
  const parent = ctx.state.findMessage(channel.id, threadTs);
  if (parent) parent.reply_count = (parent.reply_count || 0) + 1;
}

function postMessage(ctx) {
  const channel = postableChannel(ctx, ctx.args.channel);
  const content = messageContent(ctx.args);
  truncateLongText(ctx, content);
  const threadTs = ctx.args.thread_ts || undefined;
  const message = ctx.state.storeMessage(newMessage(ctx, channel, content, { thread_ts: threadTs }));
  if (threadTs) countReply(ctx, channel, threadTs);
  return { channel: channel.id, ts: message.ts, message: publicMessage(message) };
}

function applyUpdate(ctx, message, content) {
  if (content.text !== undefined) message.text = content.text;
  if (content.blocks !== undefined && content.blocks.length) message.blocks = content.blocks;
  if (content.blocks !== undefined && !content.blocks.length) delete message.blocks;
  if (content.attachments !== undefined) message.attachments = content.attachments;
  message.edited = { user: ctx.token.bot_user_id, ts: ctx.state.nextTs() };
  message.update_count++;
}

function updateMessage(ctx) {
  const channel = ctx.state.resolveChannel(ctx.team.id, ctx.args.channel);
  if (!channel) throw new SlackError('channel_not_found');
  const message = ctx.state.findMessage(channel.id, ctx.args.ts);
  if (!message) throw new SlackError('message_not_found');
  if (message.user !== ctx.token.bot_user_id) throw new SlackError('cant_update_message');
  const content = messageContent(ctx.args);
  rejectLongText(content.text);
  applyUpdate(ctx, message, content);
  return { channel: channel.id, ts: message.ts, text: message.text, message: publicMessage(message) };
}

function isMember(channel, userId) {
  if (channel.is_im) return channel.user === userId;
  return channel.members ? channel.members.includes(userId) : true;
}

function postEphemeral(ctx) {
  const channel = postableChannel(ctx, ctx.args.channel);
  const user = ctx.state.teamUser(ctx.team.id, ctx.args.user);
  if (!user || !isMember(channel, user.id)) throw new SlackError('user_not_in_channel');
  const content = messageContent(ctx.args);
  rejectLongText(content.text);
  const extra = { is_ephemeral: true, ephemeral_user: user.id, thread_ts: ctx.args.thread_ts || undefined };
  const message = ctx.state.storeMessage(newMessage(ctx, channel, content, extra));
  return { message_ts: message.ts };
}

module.exports = {
  postMessage, updateMessage, postEphemeral, messageContent, publicMessage, newMessage, applyUpdate,
};
