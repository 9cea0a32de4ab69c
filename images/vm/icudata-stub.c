/* Replaces libicudata.so.N in the VM image: an empty ICU common-data table, the same thing ICU's
 * own "stubdata" library holds.
 *
 * Why: berthd links libarchive, which links libxml2 (for the XAR format berth never reads), which
 * links ICU; libicudata is 31 MB of locale tables, ~45% of the unpacked image. Under software
 * emulation every megabyte costs boot time three times: decompressing the initramfs, unpacking it,
 * and copying it to the data disk. Nothing in a berth machine looks anything up in ICU's data;
 * were something to, ICU reports U_MISSING_RESOURCE_ERROR instead of finding it.
 *
 * build-vm-image compiles it with -DICUDT_SYMBOL=icudtNN_dat for the ICU major version NN it
 * found, and -nostdlib: it defines one read-only object and needs nothing. */
#include <stdint.h>

struct icu_toc_entry {
  const char* name;
  const void* data;
};

/* ICU's ICU_Data_Header (common/ucmndata.h), with UDataInfo (unicode/udata.h) inlined. */
struct icu_data_header {
  uint16_t header_size;   /* 32 */
  uint8_t magic1, magic2; /* 0xda 0x27 */
  struct {
    uint16_t size; /* sizeof(UDataInfo) = 20 */
    uint16_t reserved_word;
    uint8_t is_big_endian, charset_family, sizeof_uchar, reserved_byte;
    uint8_t data_format[4]; /* "ToCP": a table of contents */
    uint8_t format_version[4];
    uint8_t data_version[4];
  } info;
  char padding[8];
  uint32_t count; /* no entries */
  uint32_t reserved;
  struct icu_toc_entry toc[1];
};

__attribute__((visibility("default")))
const struct icu_data_header ICUDT_SYMBOL = {32,
                                             0xda,
                                             0x27,
                                             {20,
                                              0,
                                              0 /* little endian */,
                                              0 /* ASCII */,
                                              2,
                                              0,
                                              {0x54, 0x6f, 0x43, 0x50},
                                              {1, 0, 0, 0},
                                              {0, 0, 0, 0}},
                                             {0},
                                             0,
                                             0,
                                             {{0, 0}}};
