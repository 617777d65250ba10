/**
 * Numbers of IPMI v2.0 (rev 1.1) that the RMCP+ client and SOL need. Section numbers refer to the
 * "IPMI v2.0 rev. 1.1" specification; byte layouts are also summarised in shared/notes/ipmi.md §1–3.
 */

/** RMCP header (ASF/DMTF): version 6, reserved, sequence 0xFF = "no RMCP ACK", class 7 = IPMI (§13.1.3). */
export const RMCP_VERSION = 0x06;
export const RMCP_SEQ_NO_ACK = 0xff;
export const RMCP_CLASS_IPMI = 0x07;
export const RMCP_HEADER_LENGTH = 4;

/** Session header "Auth Type / Format" byte (§13.6): 0 = IPMI v1.5 without auth, 6 = RMCP+ (v2.0). */
export const AUTH_TYPE_NONE = 0x00;
export const AUTH_TYPE_RMCPP = 0x06;

/** RMCP+ payload types (§13.27.3, table 13-16), bits 5:0 of the payload-type byte. */
export const PayloadType = Object.freeze({
  IPMI: 0x00,
  SOL: 0x01,
  OPEN_SESSION_REQUEST: 0x10,
  OPEN_SESSION_RESPONSE: 0x11,
  RAKP1: 0x12,
  RAKP2: 0x13,
  RAKP3: 0x14,
  RAKP4: 0x15,
});
export type PayloadTypeValue = (typeof PayloadType)[keyof typeof PayloadType];
export const PAYLOAD_ENCRYPTED_BIT = 0x80;
export const PAYLOAD_AUTHENTICATED_BIT = 0x40;

/** Network functions (requests; the response netFn is request + 1). */
export const NetFn = Object.freeze({ CHASSIS: 0x00, APP: 0x06, TRANSPORT: 0x0c });

export const AppCmd = Object.freeze({
  GET_DEVICE_ID: 0x01,
  GET_CHANNEL_AUTH_CAPABILITIES: 0x38,
  SET_SESSION_PRIVILEGE_LEVEL: 0x3b,
  CLOSE_SESSION: 0x3c,
  ACTIVATE_PAYLOAD: 0x48,
  DEACTIVATE_PAYLOAD: 0x49,
});

export const ChassisCmd = Object.freeze({
  GET_CHASSIS_STATUS: 0x01,
  CHASSIS_CONTROL: 0x02,
  SET_SYSTEM_BOOT_OPTIONS: 0x08,
  GET_SYSTEM_BOOT_OPTIONS: 0x09,
});

/** Slave addresses used on the LAN channel (§13.8): BMC responder 0x20, remote console software ID 0x81. */
export const BMC_SLAVE_ADDRESS = 0x20;
export const REMOTE_CONSOLE_SWID = 0x81;

/** Privilege levels (§22.13 / table 22-15), as carried in RAKP1's role byte bits 3:0. */
export const Privilege = Object.freeze({ CALLBACK: 1, USER: 2, OPERATOR: 3, ADMINISTRATOR: 4 });
export type PrivilegeName = keyof typeof Privilege;

/**
 * RAKP1 role bit 4: "name-only lookup" (§13.20). ipmitool and pyghmi always set it (they send 0x14 for
 * ADMINISTRATOR); we do the same so BMCs that only implement name-only lookup accept us.
 */
export const RAKP_NAME_ONLY_LOOKUP = 0x10;

/** Limits of the RAKP fields (§13.20): user names up to 16 bytes, passwords / Kg up to 20 bytes. */
export const MAX_USER_NAME_BYTES = 16;
export const MAX_PASSWORD_BYTES = 20;
export const MAX_KG_BYTES = 20;

/** The constants K1/K2 are derived from (§13.32): 20 bytes of 0x01 / 0x02, also for SHA-256 (notes §0). */
export const K1_CONSTANT = Buffer.alloc(20, 0x01);
export const K2_CONSTANT = Buffer.alloc(20, 0x02);

/** The next-header byte after the integrity pad is always 0x07 (§13.28.4, "reserved, 07h"). */
export const NEXT_HEADER = 0x07;
