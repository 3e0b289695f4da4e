/**
 * A streaming ZIP writer (stored, not deflated: the entries are images and videos, already
 * compressed). Each entry's bytes are streamed with a data descriptor after them (CRC and sizes
 * are known only at the end), so nothing is held in memory but the central directory.
 * Plain ZIP, not ZIP64: at most 65,535 entries and 4 GiB; past that the archive ends early
 * with an error rather than corrupt offsets.
 */
import { crc32 } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: AsyncIterable<Buffer | Uint8Array> | Buffer;
}

const LIMIT = 0xffffffff;

function dosTime(date: Date): { time: number; date: number } {
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** The archive's bytes, entry by entry. */
export async function* zipStream(entries: AsyncIterable<ZipEntry>): AsyncGenerator<Buffer> {
  const central: Buffer[] = [];
  let offset = 0;
  let count = 0;
  const stamp = dosTime(new Date());
  for await (const entry of entries) {
    if (count === 0xffff) throw new Error('the archive would have more than 65,535 entries');
    const name = Buffer.from(entry.name, 'utf8');
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4); // version needed
    header.writeUInt16LE(0x0808, 6); // data descriptor follows; UTF-8 names
    header.writeUInt16LE(0, 8); // stored
    header.writeUInt16LE(stamp.time, 10);
    header.writeUInt16LE(stamp.date, 12);
    header.writeUInt16LE(name.length, 26);
    const start = offset;
    yield Buffer.concat([header, name]);
    offset += header.length + name.length;
    let crc = 0;
    let size = 0;
    const chunks = Buffer.isBuffer(entry.data) ? [entry.data] : entry.data;
    for await (const chunk of chunks) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      crc = crc32(buffer, crc);
      size += buffer.length;
      yield buffer;
    }
    offset += size;
    if (offset > LIMIT) throw new Error('the archive would be larger than 4 GiB');
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(size, 8);
    descriptor.writeUInt32LE(size, 12);
    yield descriptor;
    offset += descriptor.length;

    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(20, 4); // made by
    record.writeUInt16LE(20, 6); // needed
    record.writeUInt16LE(0x0808, 8);
    record.writeUInt16LE(0, 10);
    record.writeUInt16LE(stamp.time, 12);
    record.writeUInt16LE(stamp.date, 14);
    record.writeUInt32LE(crc >>> 0, 16);
    record.writeUInt32LE(size, 20);
    record.writeUInt32LE(size, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt32LE(start, 42);
    central.push(record, name);
    count++;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  yield Buffer.concat([directory, end]);
}
