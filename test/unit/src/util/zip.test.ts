import { describe, expect, it } from 'vitest';
import { jarMainClass, zipEntries, ZipError, zipRead } from '../../../../src/util/zip.js';
import { zipFiles } from '../../../helpers/java/zip-writer.js';

describe('zip reader (jars of Java viewers)', () => {
  it('lists entries and reads stored and deflated ones', () => {
    const big = Buffer.alloc(100_000, 'abc');
    const zip = zipFiles([
      { name: 'a.txt', data: Buffer.from('hello'), store: true },
      { name: 'dir/b.bin', data: big },
    ]);
    const entries = zipEntries(zip);
    expect(entries.map((e) => [e.name, e.method, e.uncompressedSize])).toEqual([
      ['a.txt', 0, 5],
      ['dir/b.bin', 8, 100_000],
    ]);
    expect(zipRead(zip, entries[0]!, 1000).toString()).toBe('hello');
    expect(zipRead(zip, entries[1]!, 200_000).equals(big)).toBe(true);
  });

  it('bounds what an entry may inflate to, whatever its header claims (zip bombs)', () => {
    const zip = zipFiles([{ name: 'bomb', data: Buffer.alloc(10 * 1024 * 1024) }]);
    expect(zip.length).toBeLessThan(20_000);
    const [e] = zipEntries(zip);
    expect(() => zipRead(zip, { ...e!, uncompressedSize: 10 }, 1024 * 1024)).toThrow(ZipError);
  });

  it('reads Main-Class from the manifest, continuation lines included, and only from the main section', () => {
    const manifest =
      'Manifest-Version: 1.0\r\nMain-Class: com.example.kvm.VeryLongPackageNameThatWrapsAtSeventyTwoBytesOfLin\r\n eLength.Main\r\n\r\nName: x\r\nMain-Class: not.This\r\n';
    expect(jarMainClass(zipFiles([{ name: 'META-INF/MANIFEST.MF', data: Buffer.from(manifest) }]))).toBe(
      'com.example.kvm.VeryLongPackageNameThatWrapsAtSeventyTwoBytesOfLineLength.Main',
    );
    expect(jarMainClass(zipFiles([{ name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\n\nMain-Class: a.B\n') }]))).toBeUndefined();
    expect(jarMainClass(zipFiles([{ name: 'x.class', data: Buffer.from('x') }]))).toBeUndefined();
  });

  it('refuses what is not a zip, truncated archives, offsets outside the file and encryption', () => {
    expect(() => zipEntries(Buffer.from('<html>not a jar</html>'))).toThrow(/not a zip/);
    const zip = zipFiles([{ name: 'a', data: Buffer.from('x'.repeat(1000)) }]);
    expect(() => zipEntries(zip.subarray(0, zip.length - 30))).toThrow(ZipError);
    const [e] = zipEntries(zip);
    expect(() => zipRead(zip, { ...e!, compressedSize: 1 << 30 }, 1 << 20)).toThrow(/past the end/);
    expect(() => zipRead(zip, { ...e!, localHeaderOffset: zip.length - 4 }, 1 << 20)).toThrow(/local header/);
    expect(() => zipRead(zip, { ...e!, flags: 1 }, 1 << 20)).toThrow(/encrypted/);
    expect(() => zipRead(zip, { ...e!, method: 12 }, 1 << 20)).toThrow(/method 12/);
    const broken = Buffer.from(zip);
    broken.writeUInt32LE(0, broken.length - 22 + 16); // central directory offset 0: a local header, not a central entry
    expect(() => zipEntries(broken)).toThrow(/malformed/);
  });
});
