/** Link types (https://www.tcpdump.org/linktypes.html) and container constants. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW on some BSDs; files written there carry these numbers for raw IP */
export const LINKTYPE_RAW_BSD12 = 12;
export const LINKTYPE_RAW_BSD14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BOM = 0x1a2b3c4d;
export const PCAPNG_IDB = 1;
export const PCAPNG_PB = 2;
export const PCAPNG_SPB = 3;
export const PCAPNG_EPB = 6;

/**
 * Largest record or block we accept. Real frames are at most 256 KiB (libpcap's snaplen); anything
 * above this is a corrupt length field, and honouring it would make the reader buffer without bound.
 */
export const MAX_BLOCK = 16 * 1024 * 1024;
/** pcapng sections may declare many interfaces; more than this is corruption. */
export const MAX_INTERFACES = 65536;
