import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { PIPELINE_DAG } from './pipeline.js'
import { type AslDefinition, dagLevels, stateMachineDefinition } from './state-machine.js'

// asl-validator is CommonJS without types: the JSON schemas of the States Language, plus JSONPath checks.
const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean
  errorsText: (separator?: string) => string
}

const OPTIONS = {
  warehouse: 's3://lake/prefix',
  cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/etl',
  taskDefinition: 'ecommerce-etl:3',
  topicArn: 'arn:aws:sns:us-east-1:123456789012:etl',
  subnets: ['subnet-1'],
  securityGroups: ['sg-1'],
}

/** Every state of a definition, Parallel branches included, by name. */
function allStates(def: Pick<AslDefinition, 'States'>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [name, s] of Object.entries(def.States)) {
    out[name] = s
    for (const b of (s.Branches as AslDefinition[] | undefined) ?? []) Object.assign(out, allStates(b))
  }
  return out
}

describe('dagLevels', () => {
  it('puts the pipeline DAG into five levels with products and orders side by side', () => {
    expect(dagLevels(PIPELINE_DAG)).toEqual([
      ['preprocess'],
      ['products', 'orders'],
      ['order_items'],
      ['catalog'],
      ['preview'],
    ])
  })

  it('refuses a cycle and an unknown dependency, naming the step', () => {
    expect(() =>
      dagLevels([
        { name: 'a', dependsOn: ['b'] },
        { name: 'b', dependsOn: ['a'] },
      ]),
    ).toThrow(/cycle through step a/)
    expect(() => dagLevels([{ name: 'a', dependsOn: ['zz'] }])).toThrow(/a depends on unknown step zz/)
  })

  it('places a step after its deepest dependency even when listed first', () => {
    expect(dagLevels([{ name: 'c', dependsOn: ['a', 'b'] }, { name: 'b', dependsOn: ['a'] }, { name: 'a' }])).toEqual([
      ['a'],
      ['b'],
      ['c'],
    ])
  })
})

describe('stateMachineDefinition', () => {
  const def = stateMachineDefinition(PIPELINE_DAG, OPTIONS)
  const states = allStates(def)

  it('is valid Amazon States Language by the asl-validator JSON schemas', () => {
    const result = aslValidator(def)
    expect(result.errorsText('\n')).toBe('')
    expect(result.isValid).toBe(true)
    // The validator does refuse broken definitions (a Next to a state that does not exist).
    const broken = { ...def, States: { ...def.States, Run_preview: { ...def.States.Run_preview, Next: 'Nowhere' } } }
    expect(aslValidator(broken).isValid).toBe(false)
  })

  it('runs preprocess, then products and orders in one Parallel state, then order_items, catalog and preview', () => {
    expect(def.StartAt).toBe('Run_preprocess')
    expect(def.States.Run_preprocess.Next).toBe('Parallel_products_orders')
    const parallel = def.States.Parallel_products_orders
    expect(parallel.Type).toBe('Parallel')
    expect((parallel.Branches as AslDefinition[]).map((b) => b.StartAt)).toEqual(['Run_products', 'Run_orders'])
    expect(parallel.Next).toBe('Run_order_items')
    expect(def.States.Run_order_items.Next).toBe('Run_catalog')
    expect(def.States.Run_catalog.Next).toBe('Run_preview')
    expect(def.States.Run_preview.Next).toBe('Notify_success')
    expect(def.States.Notify_success.Next).toBe('Pipeline_succeeded')
  })

  it('catches every error of every top-level state into the failure notification and a Fail state', () => {
    for (const name of ['Run_preprocess', 'Parallel_products_orders', 'Run_order_items', 'Run_catalog', 'Run_preview'])
      expect(def.States[name].Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Notify_failure' },
      ])
    expect(def.States.Notify_failure).toMatchObject({
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: { TopicArn: OPTIONS.topicArn },
      Next: 'Pipeline_failed',
    })
    expect(def.States.Pipeline_failed.Type).toBe('Fail')
  })

  it('runs each step as an ECS task of this CLI with the execution name as run id, retried twice', () => {
    for (const step of PIPELINE_DAG.map((s) => s.name)) {
      const task = states[`Run_${step}`]
      expect(task.Resource).toBe('arn:aws:states:::ecs:runTask.sync')
      const params = task.Parameters as Record<string, unknown>
      expect(params).toMatchObject({
        Cluster: OPTIONS.cluster,
        TaskDefinition: OPTIONS.taskDefinition,
        LaunchType: 'FARGATE',
      })
      const override = (params.Overrides as { ContainerOverrides: Record<string, string>[] }).ContainerOverrides[0]
      expect(override.Name).toBe('ecommerce-etl')
      expect(override['Command.$']).toBe(
        `States.Array('run', '--only', '${step}', '--run-id', $$.Execution.Name, '--warehouse', 's3://lake/prefix')`,
      )
      expect((task.Retry as { MaxAttempts: number }[])[0].MaxAttempts).toBe(2)
    }
  })

  it('escapes quotes and braces of arguments inside the intrinsic function', () => {
    const odd = stateMachineDefinition([{ name: 'x' }], { ...OPTIONS, warehouse: "s3://b/it's{x}" })
    const cmd = (
      (odd.States.Run_x.Parameters as Record<string, unknown>).Overrides as {
        ContainerOverrides: Record<string, string>[]
      }
    ).ContainerOverrides[0]['Command.$']
    expect(cmd).toContain("'s3://b/it\\'s\\{x\\}'")
    expect(aslValidator(odd).isValid).toBe(true)
  })
})
