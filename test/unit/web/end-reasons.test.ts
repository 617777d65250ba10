import { describe, expect, it } from 'vitest';
import { endReason } from '../../../web/src/common/i18n-core.js';

describe('end reasons on the pages', () => {
  const javaExit = 'BMC connection failed: the Java viewer exited with code 3';

  it('says in Russian that the Java viewer exited, with the details, and not that the BMC was unreachable', () => {
    expect(endReason('ru', 'viewer-exited', javaExit)).toBe(`Java-просмотрщик этой консоли завершился (${javaExit})`);
    expect(endReason('ru', 'bmc-unreachable', 'BMC connection failed: refused')).toBe('BMC недоступен (BMC connection failed: refused)');
    expect(endReason('ru', 'idle', 'no viewer for 5 min')).toBe('консоль слишком долго никто не смотрел');
  });

  it("shows the gateway's own English sentence in English, the catalogue's when there is none", () => {
    expect(endReason('en', 'viewer-exited', javaExit)).toBe(javaExit);
    expect(endReason('en', 'viewer-exited', null)).toBe('the Java viewer behind this console exited');
  });
});
