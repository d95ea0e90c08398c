import { describe, expect, it } from '@jest/globals'

import { runRound } from '../../src/round/round.js'
import { FakeHub } from './support/fake-hub.js'
import { roundSettings } from './support/settings.js'
import { VirtualClock } from './support/virtual-clock.js'

describe('runRound with the fake Hub', () => {
  it('passes a healthy round', async () => {
    const clock = new VirtualClock()
    const hub = new FakeHub({ clock })
    const record = await runRound({ hub, settings: roundSettings(), clock, coreUrl: 'http://127.0.0.1:1' })
    console.log(JSON.stringify(record, null, 1))
    expect(record.login.status).toBe('success')
  })
})
