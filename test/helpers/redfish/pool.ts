import type { GatewayError } from '../../../src/errors.js';
import { RedfishService, type RedfishServiceOptions } from '../../../src/redfish/redfish-service.js';
import { RedfishSimulator, type RedfishSimulatorOptions } from './simulator.js';

/** Simulators and services a test file starts, all stopped by `cleanup()` (its afterEach). */
export class RedfishTestPool {
  readonly #sims: RedfishSimulator[] = [];
  readonly #services: RedfishService[] = [];

  async sim(o: RedfishSimulatorOptions = {}): Promise<RedfishSimulator> {
    const s = await RedfishSimulator.start(o);
    this.#sims.push(s);
    return s;
  }

  service(o: RedfishServiceOptions = {}): RedfishService {
    const s = new RedfishService(o);
    this.#services.push(s);
    return s;
  }

  /** Stops a simulator before the end (its port then refuses connections). */
  async stop(s: RedfishSimulator): Promise<void> {
    this.#sims.splice(this.#sims.indexOf(s), 1);
    await s.stop();
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#services.splice(0).map((s) => s.close()));
    await Promise.all(this.#sims.splice(0).map((s) => s.stop()));
  }
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('expected a failure');
}
