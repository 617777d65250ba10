// The responder is also the demo's simulated BMC, so it lives in src/demo (one copy for both).
export { startIpmiResponder, type IpmiResponder, type ResponderFaults, type ResponderOptions } from '../../src/demo/ipmi-bmc.js';
