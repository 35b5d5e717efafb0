'use strict';
// Block Kit validation as Slack enforces it, for messages and (surface
// "modal") views. Every limit lives in LIMITS. Errors are Slack-style
// strings: "<what is wrong> [json-pointer:/blocks/0/text/text]".

const LIMITS = Object.freeze({
  MESSAGE_BLOCKS: 50,
  MODAL_BLOCKS: 100,
  MESSAGE_TEXT: 40000,
  SECTION_TEXT: 3000,
  SECTION_FIELDS: 10,
  SECTION_FIELD_TEXT: 2000,
  HEADER_TEXT: 150,
  ACTIONS_ELEMENTS: 25,
  CONTEXT_ELEMENTS: 10,
  CONTEXT_TEXT: 3000,
  BUTTON_TEXT: 75,
  BUTTON_VALUE: 2000,
  URL: 3000,
  ACTION_ID: 255,
  BLOCK_ID: 255,
  CONFIRM_TITLE: 100,
  CONFIRM_TEXT: 300,
  CONFIRM_BUTTON: 30,
  OPTION_TEXT: 75,
  OPTION_VALUE: 150,
  OPTION_DESCRIPTION: 75,
  RADIO_OPTIONS: 10,
  CHECKBOX_OPTIONS: 10,
  SELECT_OPTIONS: 100,
  OVERFLOW_OPTIONS: 5,
  OVERFLOW_MIN_OPTIONS: 2,
  PLACEHOLDER: 150,
  IMAGE_ALT_TEXT: 2000,
  IMAGE_TITLE: 2000,
  INPUT_LABEL: 2000,
  INPUT_HINT: 2000,
  TEXT_INPUT_LENGTH: 3000,
  MARKDOWN_BLOCK_TEXT: 12000,
  MODAL_TITLE: 24,
  MODAL_SUBMIT: 24,
  MODAL_CLOSE: 24,
  PRIVATE_METADATA: 3000,
  CALLBACK_ID: 255,
  EXTERNAL_ID: 255,
});

const STYLES = ['primary', 'danger'];

// ---- generic checkers: each is (v, value, path) --------------------------

function newCollector() {
  const errors = [];
  return {
    errors,
    fail(path, message) { errors.push(`${message} [json-pointer:${path}]`); },
  };
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function charCount(text) {
  let count = 0;
  for (const _ of text) count++; // code points, not UTF-16 units
  return count;
}

function maxLength(max, min = 1) {
  return (v, value, path) => {
    if (typeof value !== 'string') return v.fail(path, 'must be a string');
    const length = charCount(value);
    if (length > max) v.fail(path, `must be less than ${max + 1} characters`);
    else if (length < min) v.fail(path, `must be more than ${min - 1} characters`);
  };
}

function oneOf(values) {
  return (v, value, path) => {
    if (!values.includes(value)) v.fail(path, 'must be a valid enum value');
  };
}

function integerUpTo(max) {
  return (v, value, path) => {
    if (!Number.isInteger(value) || value < 0 || value > max) v.fail(path, `must be an integer between 0 and ${max}`);
  };
}

function arrayOf(max, itemCheck, min = 0) {
  return (v, value, path) => {
    if (!Array.isArray(value)) return v.fail(path, 'must be an array');
    if (value.length > max) v.fail(path, `no more than ${max} items allowed`);
    if (value.length < min) v.fail(path, `must provide at least ${min} items`);
    value.forEach((item, i) => itemCheck(v, item, `${path}/${i}`));
  };
}

function objectWith(fieldRules) {
  return (v, value, path) => {
    if (!isObject(value)) return v.fail(path, 'must provide an object');
    checkFields(v, value, path, fieldRules);
  };
}

// fieldRules: {name: [checker, required?]}
function checkFields(v, obj, path, fieldRules) {
  for (const [name, [check, required]] of Object.entries(fieldRules)) {
    if (obj[name] === undefined || obj[name] === null) {
      if (required) v.fail(path, `missing required field: ${name}`);
    } else {
      check(v, obj[name], `${path}/${name}`);
    }
  }
}

const REQUIRED = true;

function textObject(max, plainOnly = false) {
  const types = plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  return objectWith({ type: [oneOf(types), REQUIRED], text: [maxLength(max), REQUIRED] });
}

const plainText = (max) => textObject(max, true);
const url = maxLength(LIMITS.URL);

// ---- composition objects -------------------------------------------------

const confirmObject = objectWith({
  title: [plainText(LIMITS.CONFIRM_TITLE), REQUIRED],
  text: [textObject(LIMITS.CONFIRM_TEXT), REQUIRED],
  confirm: [plainText(LIMITS.CONFIRM_BUTTON), REQUIRED],
  deny: [plainText(LIMITS.CONFIRM_BUTTON), REQUIRED],
  style: [oneOf(STYLES)],
});

function optionObject(plainOnly) {
  return objectWith({
    text: [textObject(LIMITS.OPTION_TEXT, plainOnly), REQUIRED],
    value: [maxLength(LIMITS.OPTION_VALUE), REQUIRED],
    description: [textObject(LIMITS.OPTION_DESCRIPTION, plainOnly)],
    url: [url],
  });
}

const selectOption = optionObject(true);
const choiceOption = optionObject(false);

// ---- elements ------------------------------------------------------------

const COMMON_ELEMENT_FIELDS = {
  action_id: [maxLength(LIMITS.ACTION_ID)],
  confirm: [confirmObject],
};
const placeholder = [plainText(LIMITS.PLACEHOLDER)];
const pickerFields = { placeholder };

const ELEMENT_FIELDS = {
  button: {
    text: [plainText(LIMITS.BUTTON_TEXT), REQUIRED],
    value: [maxLength(LIMITS.BUTTON_VALUE)],
    url: [url],
    style: [oneOf(STYLES)],
  },
  static_select: { placeholder, options: [arrayOf(LIMITS.SELECT_OPTIONS, selectOption, 1)] },
  multi_static_select: { placeholder, options: [arrayOf(LIMITS.SELECT_OPTIONS, selectOption, 1)] },
  overflow: {
    options: [arrayOf(LIMITS.OVERFLOW_OPTIONS, selectOption, LIMITS.OVERFLOW_MIN_OPTIONS), REQUIRED],
  },
  radio_buttons: { options: [arrayOf(LIMITS.RADIO_OPTIONS, choiceOption, 1), REQUIRED] },
  checkboxes: { options: [arrayOf(LIMITS.CHECKBOX_OPTIONS, choiceOption, 1), REQUIRED] },
  plain_text_input: {
    placeholder,
    initial_value: [maxLength(LIMITS.TEXT_INPUT_LENGTH, 0)],
    min_length: [integerUpTo(LIMITS.TEXT_INPUT_LENGTH)],
    max_length: [integerUpTo(LIMITS.TEXT_INPUT_LENGTH)],
  },
  image: { image_url: [url, REQUIRED], alt_text: [maxLength(LIMITS.IMAGE_ALT_TEXT), REQUIRED] },
};
for (const picker of ['users_select', 'multi_users_select', 'conversations_select',
  'multi_conversations_select', 'channels_select', 'multi_channels_select', 'external_select',
  'multi_external_select', 'datepicker', 'timepicker', 'datetimepicker', 'email_text_input',
  'url_text_input', 'number_input']) {
  ELEMENT_FIELDS[picker] = pickerFields;
}

const INTERACTIVE = Object.keys(ELEMENT_FIELDS).filter((type) => type !== 'image');
const ELEMENTS_IN = {
  actions: INTERACTIVE.filter((type) => !type.endsWith('_input') && type !== 'number_input'),
  accessory: Object.keys(ELEMENT_FIELDS).filter((type) => !type.endsWith('_input') && type !== 'number_input'),
  input: INTERACTIVE.filter((type) => type !== 'button' && type !== 'overflow'),
};

function element(allowedTypes) {
  return (v, value, path) => {
    if (!isObject(value)) return v.fail(path, 'must provide an object');
    if (!allowedTypes.includes(value.type)) return v.fail(`${path}/type`, 'must be a valid enum value');
    const fields = ELEMENT_FIELDS[value.type];
    checkFields(v, value, path, value.type === 'image' ? fields : { ...COMMON_ELEMENT_FIELDS, ...fields });
  };
}

function contextElement(v, value, path) {
  if (isObject(value) && value.type === 'image') element(['image'])(v, value, path);
  else textObject(LIMITS.CONTEXT_TEXT)(v, value, path);
}

function uniqueActionIds(v, elements, path) {
  if (!Array.isArray(elements)) return;
  const seen = new Set();
  elements.forEach((item, i) => {
    if (!isObject(item) || typeof item.action_id !== 'string') return;
    if (seen.has(item.action_id)) v.fail(`${path}/elements/${i}/action_id`, 'must be unique');
    seen.add(item.action_id);
  });
}

// ---- blocks --------------------------------------------------------------

const BLOCK_FIELDS = {
  section: {
    text: [textObject(LIMITS.SECTION_TEXT)],
    fields: [arrayOf(LIMITS.SECTION_FIELDS, textObject(LIMITS.SECTION_FIELD_TEXT), 1)],
    accessory: [element(ELEMENTS_IN.accessory)],
  },
  header: { text: [plainText(LIMITS.HEADER_TEXT), REQUIRED] },
  divider: {},
  actions: { elements: [arrayOf(LIMITS.ACTIONS_ELEMENTS, element(ELEMENTS_IN.actions), 1), REQUIRED] },
  context: { elements: [arrayOf(LIMITS.CONTEXT_ELEMENTS, contextElement, 1), REQUIRED] },
  image: {
    image_url: [url, REQUIRED],
    alt_text: [maxLength(LIMITS.IMAGE_ALT_TEXT), REQUIRED],
    title: [plainText(LIMITS.IMAGE_TITLE)],
  },
  input: {
    label: [plainText(LIMITS.INPUT_LABEL), REQUIRED],
    element: [element(ELEMENTS_IN.input), REQUIRED],
    hint: [plainText(LIMITS.INPUT_HINT)],
  },
  markdown: { text: [maxLength(LIMITS.MARKDOWN_BLOCK_TEXT), REQUIRED] },
  rich_text: {},
  video: {},
  file: {},
};

function checkBlockId(v, block, path, seenIds) {
  if (block.block_id === undefined) return;
  maxLength(LIMITS.BLOCK_ID)(v, block.block_id, `${path}/block_id`);
  if (seenIds.has(block.block_id)) v.fail(`${path}/block_id`, 'must be unique');
  seenIds.add(block.block_id);
}

function checkBlock(v, block, path, seenIds) {
  if (!isObject(block)) return v.fail(path, 'must provide an object');
  const fields = BLOCK_FIELDS[block.type];
  if (!fields) return v.fail(`${path}/type`, 'must be a valid enum value');
  checkBlockId(v, block, path, seenIds);
  checkFields(v, block, path, fields);
  if (block.type === 'section' && block.text === undefined && block.fields === undefined) {
    v.fail(path, 'must provide either text or fields');
  }
  if (block.type === 'actions') uniqueActionIds(v, block.elements, path);
}

function checkBlockList(v, blocks, path, maxBlocks) {
  if (blocks.length > maxBlocks) v.fail(path, `no more than ${maxBlocks} items allowed`);
  const seenIds = new Set();
  blocks.forEach((block, i) => checkBlock(v, block, `${path}/${i}`, seenIds));
}

// blocks: an already parsed array. Returns the list of errors (empty = valid).
function validateMessageBlocks(blocks) {
  const v = newCollector();
  checkBlockList(v, blocks, '/blocks', LIMITS.MESSAGE_BLOCKS);
  return v.errors;
}

const VIEW_FIELDS = {
  type: [oneOf(['modal', 'home']), REQUIRED],
  title: [plainText(LIMITS.MODAL_TITLE)],
  submit: [plainText(LIMITS.MODAL_SUBMIT)],
  close: [plainText(LIMITS.MODAL_CLOSE)],
  private_metadata: [maxLength(LIMITS.PRIVATE_METADATA, 0)],
  callback_id: [maxLength(LIMITS.CALLBACK_ID, 0)],
  external_id: [maxLength(LIMITS.EXTERNAL_ID, 0)],
};

function hasInputBlock(blocks) {
  return blocks.some((block) => isObject(block) && block.type === 'input');
}

// A modal / home view object (views.open, views.update, views.push).
function validateView(view) {
  const v = newCollector();
  if (!isObject(view)) {
    v.fail('/view', 'must provide an object');
    return v.errors;
  }
  checkFields(v, view, '/view', VIEW_FIELDS);
  if (view.type === 'modal' && view.title === undefined) v.fail('/view', 'missing required field: title');
  if (!Array.isArray(view.blocks)) {
    v.fail('/view', 'missing required field: blocks');
    return v.errors;
  }
  if (view.type === 'modal' && hasInputBlock(view.blocks) && view.submit === undefined) {
    v.fail('/view', 'must provide submit when input blocks are present');
  }
  checkBlockList(v, view.blocks, '/view/blocks', LIMITS.MODAL_BLOCKS);
  return v.errors;
}

// The `blocks` argument arrives as a JSON string (form, query) or an array
// (JSON body). Returns {blocks} (undefined when absent) or {error}.
function parseBlocksArgument(value) {
  if (value === undefined || value === null || value === '') return { blocks: undefined };
  let blocks = value;
  if (typeof value === 'string') {
    try { blocks = JSON.parse(value); } catch (_) { return { error: 'invalid_blocks_format' }; }
  }
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
  return { blocks };
}

module.exports = { LIMITS, validateMessageBlocks, validateView, parseBlocksArgument, charCount };
