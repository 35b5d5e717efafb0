'use strict';
// The fake approval engine's world (DESIGN section 6): users, steps with their
// approvers and delegates, and the decisions taken on them.

const { HttpError } = require('./http-util');

const OUTCOME_FOR = { approve: 'approved', reject: 'rejected', abstain: 'abstained', vote: 'voted' };
const STEP_STATES = ['active', 'inactive', 'completed'];

function lower(text) {
  return String(text || '').toLowerCase();
}

function stepKey(approvalId, stepId) {
  return `${approvalId}\0${stepId}`;
}

function normalizeDelegates(delegates) {
  if (!delegates) return {};
  if (!Array.isArray(delegates)) return { ...delegates };
  const map = {};
  for (const { account_id: delegate, for: approver } of delegates) {
    (map[approver] = map[approver] || []).push(delegate);
  }
  return map;
}

function stepRecord(spec) {
  const state = spec.state || 'active';
  if (!STEP_STATES.includes(state)) throw new HttpError(400, 'invalid_field', { field: 'state' });
  return {
    approval_id: String(spec.approval_id),
    step_id: String(spec.step_id),
    kind: spec.kind === 'vote' ? 'vote' : 'approval',
    approvers: (spec.approvers || []).map(String),
    delegates: normalizeDelegates(spec.delegates),
    required: Number(spec.required || 1),
    state,
    outcome: null,
    options: spec.options || [],
    multiple: Boolean(spec.multiple),
    decisions: [],
  };
}

function countBy(decisions, outcome) {
  return decisions.filter((decision) => decision.outcome === outcome).length;
}

function progress(step) {
  const counts = {
    approved: countBy(step.decisions, 'approved'),
    rejected: countBy(step.decisions, 'rejected'),
    abstained: countBy(step.decisions, 'abstained'),
    pending: step.approvers.length - step.decisions.length,
  };
  if (step.kind === 'vote') counts.voted = countBy(step.decisions, 'voted');
  return counts;
}

function tally(step) {
  return step.options.map((option) => ({
    option_id: option.id,
    label: option.label,
    count: step.decisions.filter((decision) => decision.votes.includes(option.id)).length,
  }));
}

function stepView(step) {
  const view = {
    approval_id: step.approval_id, id: step.step_id, kind: step.kind, state: step.state,
    outcome: step.outcome, required: step.required, approvers_total: step.approvers.length,
    progress: progress(step), decisions: step.decisions,
  };
  if (step.kind === 'vote') view.tally = tally(step);
  return view;
}

function completedOutcome(step) {
  const counts = progress(step);
  if (step.kind === 'vote') return counts.voted >= step.required ? 'voted' : null;
  if (counts.approved >= step.required) return 'approved';
  const stillPossible = step.approvers.length - counts.rejected - counts.abstained;
  return stillPossible < step.required ? 'rejected' : null;
}

function isDelegateOf(step, actorId, approverId) {
  return (step.delegates[approverId] || []).includes(actorId);
}

// The approver a decision counts for, or null when the actor may not decide.
function deciderFor(step, request) {
  const actorId = request.actor.account_id;
  const onBehalfOf = request.on_behalf_of && request.on_behalf_of.account_id;
  if (!onBehalfOf) return step.approvers.includes(actorId) ? actorId : null;
  const allowed = step.approvers.includes(onBehalfOf) && isDelegateOf(step, actorId, onBehalfOf);
  return allowed ? onBehalfOf : null;
}

function checkDecisionKind(step, request) {
  const isVote = request.decision === 'vote';
  if (step.kind === 'approval' && isVote) {
    throw new HttpError(400, 'invalid_request', { field: 'decision', message: 'invalid field: decision' });
  }
  if (step.kind === 'vote' && request.decision !== 'vote' && request.decision !== 'abstain') {
    throw new HttpError(400, 'invalid_request', { field: 'decision', message: 'invalid field: decision' });
  }
  if (!isVote) return;
  const known = step.options.map((option) => option.id);
  const badVote = request.votes.some((id) => !known.includes(id));
  if (badVote || (!step.multiple && request.votes.length !== 1)) {
    throw new HttpError(400, 'invalid_request', { field: 'votes', message: 'invalid field: votes' });
  }
}

// `by`: the person the decision counts for, as the engine's events name
// people (display name when the engine knows the account).
function decisionRecord(request, deciderId, decider) {
  return {
    by: { account_id: deciderId, display_name: decider ? decider.display_name : null },
    request_id: request.request_id,
    product: request.product,
    approval_id: request.approval_id,
    step_id: request.step_id,
    account_id: deciderId,
    actor: request.actor,
    on_behalf_of: request.on_behalf_of || null,
    decision: request.decision,
    outcome: OUTCOME_FOR[request.decision],
    comment: request.comment === undefined ? null : request.comment,
    votes: request.decision === 'vote' ? request.votes : [],
    source: request.source,
    at: new Date().toISOString(),
  };
}

class EngineState {
  constructor() {
    this.reset();
  }

  reset() {
    this.users = new Map();
    this.steps = new Map();
    this.decisions = [];
    this.answersByRequest = new Map();
  }

  addUser(spec) {
    const user = { account_id: String(spec.account_id), display_name: spec.display_name || '', email: spec.email };
    this.users.set(user.account_id, user);
    return user;
  }

  userByEmail(email) {
    const wanted = lower(email);
    for (const user of this.users.values()) if (lower(user.email) === wanted) return user;
    return null;
  }

  defineStep(spec) {
    const step = stepRecord(spec);
    this.steps.set(stepKey(step.approval_id, step.step_id), step);
    return stepView(step);
  }

  hasStep(approvalId, stepId) {
    return this.steps.has(stepKey(approvalId, stepId));
  }

  listSteps(filter = {}) {
    return [...this.steps.values()]
      .filter((step) => (!filter.approval_id || step.approval_id === filter.approval_id)
        && (!filter.step_id || step.step_id === filter.step_id))
      .map(stepView);
  }

  // A validated decision request -> {status, body}. A repeated request_id gets
  // the answer it got the first time (the module may retry).
  decide(request) {
    const earlier = this.answersByRequest.get(request.request_id);
    if (earlier) return earlier;
    const answer = this.applyDecision(request);
    this.answersByRequest.set(request.request_id, answer);
    return answer;
  }

  applyDecision(request) {
    const step = this.steps.get(stepKey(request.approval_id, request.step_id));
    if (!step) return { status: 404, body: { error: 'step_not_found' } };
    if (step.state !== 'active') return { status: 410, body: { error: 'step_not_active', state: step.state } };
    const deciderId = deciderFor(step, request);
    if (!deciderId) return { status: 403, body: { error: 'not_authorized' } };
    const previous = step.decisions.find((decision) => decision.account_id === deciderId);
    if (previous) return { status: 409, body: { error: 'already_decided', decision: previous } };
    checkDecisionKind(step, request);
    const decision = decisionRecord(request, deciderId, this.users.get(deciderId));
    step.decisions.push(decision);
    this.decisions.push(decision);
    this.completeIfDone(step);
    return { status: 200, body: { status: 'applied', decision, step: stepView(step) } };
  }

  completeIfDone(step) {
    const outcome = completedOutcome(step);
    if (!outcome) return;
    step.state = 'completed';
    step.outcome = outcome;
  }
}

module.exports = { EngineState };
