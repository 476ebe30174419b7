// Walks a JSONata state machine as Step Functions would for one execution and prints what each Task state would
// send: its Arguments with every {% ... %} expression evaluated by the jsonata package (the engine Step Functions'
// JSONata query language is; https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).
// Only what our state machines use: Pass with Assign, Task (the call is not made; its result is {}), Choice, Succeed.
// stdin: {"definition": {...}, "input": {...}, "context": {...}}; stdout: {"variables": {...}, "tasks": [...]}.
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

async function execute(definition, input, context) {
  const variables = {};
  const tasks = [];
  let name = definition.StartAt;
  for (let steps = 0; name && steps < 50; steps++) {
    const state = definition.States[name];
    const bindings = { ...variables, states: { input, context } };
    if (state.Assign) {
      for (const [key, value] of Object.entries(state.Assign)) variables[key] = await evaluate(value, bindings);
    }
    if (state.Type === 'Task') {
      tasks.push({ state: name, resource: state.Resource, arguments: await evaluate(state.Arguments, bindings) });
    }
    if (state.Type === 'Choice') {
      name = state.Default;
      for (const choice of state.Choices) {
        if (await evaluate(choice.Condition, bindings)) { name = choice.Next; break; }
      }
      continue;
    }
    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End) break;
    name = state.Next;
  }
  return { variables, tasks };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const { definition, input, inputs, context } = JSON.parse(Buffer.concat(chunks).toString());
  if (inputs) {  // many executions of one definition in one process
    const results = [];
    for (const item of inputs) results.push(await execute(definition, item, context));
    process.stdout.write(JSON.stringify(results));
  } else {
    process.stdout.write(JSON.stringify(await execute(definition, input, context)));
  }
}

main().catch((error) => { process.stderr.write(String(error && error.message || error) + '\n'); process.exit(1); });
