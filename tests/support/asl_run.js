// Walks a JSONata state machine as Step Functions would for one execution and prints what each Task state would
// send: its Arguments with every {% ... %} expression evaluated by the jsonata package (the engine Step Functions'
// JSONata query language is; https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).
// Only what our state machines use: Pass with Assign, Task (the call is not made; its result or error is given in
// "outcomes", else {}), Catch with Assign, Choice, Succeed, Fail (Error and Cause evaluated).
// stdin: {"definition": {...}, "input": {...}, "context": {...}, "outcomes"?: {...}}; stdout: {"variables": {...},
// "tasks": [...], "path": [state names], "end": {"state", "type", "error"?, "cause"?}}.
// With "inputs": [...] instead of "input": one such result per input, as a list.
const jsonata = require('jsonata');

async function evaluate(value, bindings) {
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('{%') && text.endsWith('%}')) {
      return await jsonata(text.slice(2, -2)).evaluate({}, bindings);
    }
    return value;
  }
  if (Array.isArray(value)) {
    const out = [];
    for (const item of value) out.push(await evaluate(item, bindings));
    return out;
  }
  if (value && typeof value === 'object') {
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      const result = await evaluate(item, bindings);
      if (result !== undefined) out[key] = result;
    }
    return out;
  }
  return value;
}

function catcher(state, error) {
  for (const rule of state.Catch || []) {
    if (rule.ErrorEquals.includes(error) || rule.ErrorEquals.includes('States.ALL')) return rule;
  }
  return null;
}

// outcomes: state name -> {"result": ...} (the Task's result; {} when not given) or {"Error", "Cause"} (the Task
// fails with it: a matching Catch's Assign sees it as $states.errorOutput, else the execution fails with it).
// Assign of a Task is evaluated after the call, with $states.result (as Step Functions does).
async function execute(definition, input, context, outcomes) {
  const variables = {};
  const tasks = [];
  const path = [];
  let name = definition.StartAt;
  let end = null;
  for (let steps = 0; name && steps < 50; steps++) {
    const state = definition.States[name];
    path.push(name);
    const bindings = { ...variables, states: { input, context } };
    if (state.Type === 'Task') {
      tasks.push({ state: name, resource: state.Resource, arguments: await evaluate(state.Arguments, bindings) });
      const outcome = (outcomes || {})[name] || { result: {} };
      if (outcome.Error) {
        const errorOutput = { Error: outcome.Error, Cause: outcome.Cause };
        const rule = catcher(state, outcome.Error);
        if (!rule) { end = { state: name, type: 'Fail', error: outcome.Error, cause: outcome.Cause }; break; }
        const caught = { ...variables, states: { input, context, errorOutput } };
        for (const [key, value] of Object.entries(rule.Assign || {})) variables[key] = await evaluate(value, caught);
        name = rule.Next;
        continue;
      }
      const done = { ...variables, states: { input, context, result: outcome.result } };
      for (const [key, value] of Object.entries(state.Assign || {})) variables[key] = await evaluate(value, done);
    } else if (state.Assign) {
      for (const [key, value] of Object.entries(state.Assign)) variables[key] = await evaluate(value, bindings);
    }
    if (state.Type === 'Choice') {
      name = state.Default;
      for (const choice of state.Choices) {
        const verdict = await evaluate(choice.Condition, bindings);
        if (typeof verdict !== 'boolean') throw new Error(`${name}: a Condition evaluated to ${verdict}, not a boolean`);
        if (verdict) { name = choice.Next; break; }
      }
      continue;
    }
    if (state.Type === 'Fail') {
      end = { state: name, type: 'Fail', error: await evaluate(state.Error, bindings),
              cause: await evaluate(state.Cause, bindings) };
      break;
    }
    if (state.Type === 'Succeed' || state.End) { end = { state: name, type: state.Type }; break; }
    name = state.Next;
  }
  return { variables, tasks, path, end };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const { definition, input, inputs, context, outcomes } = JSON.parse(Buffer.concat(chunks).toString());
  if (inputs) {  // many executions of one definition in one process
    const results = [];
    for (const item of inputs) results.push(await execute(definition, item, context, outcomes));
    process.stdout.write(JSON.stringify(results));
  } else {
    process.stdout.write(JSON.stringify(await execute(definition, input, context, outcomes)));
  }
}

main().catch((error) => { process.stderr.write(String(error && error.message || error) + '\n'); process.exit(1); });
