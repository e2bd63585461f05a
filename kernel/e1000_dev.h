// e1000_dev.h: registers and descriptor layouts of the Intel 82540EM, with the
// section of the 8254x Software Developer's Manual (317453) that defines each.
#pragma once
#include "types.h"

// Register offsets in BAR0, in bytes (13.4 unless noted).
#define E1000_CTRL    0x0000   // 13.4.1  device control
#define E1000_STATUS  0x0008   // 13.4.2  device status
#define E1000_ICR     0x00C0   // 13.4.17 interrupt cause, cleared by reading
#define E1000_ITR     0x00C4   // 13.4.18 interrupt throttling
#define E1000_IMS     0x00D0   // 13.4.20 interrupt mask set
#define E1000_IMC     0x00D8   // 13.4.21 interrupt mask clear
#define E1000_RCTL    0x0100   // 13.4.22 receive control
#define E1000_TCTL    0x0400   // 13.4.33 transmit control
#define E1000_TIPG    0x0410   // 13.4.34 transmit inter-packet gap
#define E1000_RDBAL   0x2800   // 13.4.25 receive ring base, low 32 bits
#define E1000_RDBAH   0x2804   // 13.4.26 receive ring base, high 32 bits
#define E1000_RDLEN   0x2808   // 13.4.27 receive ring size in bytes
#define E1000_RDH     0x2810   // 13.4.28 receive head (owned by the device)
#define E1000_RDT     0x2818   // 13.4.29 receive tail (owned by the driver)
#define E1000_RDTR    0x2820   // 13.4.30 receive delay timer
#define E1000_TDBAL   0x3800   // 13.4.36 transmit ring base, low 32 bits
#define E1000_TDBAH   0x3804   // 13.4.37 transmit ring base, high 32 bits
#define E1000_TDLEN   0x3808   // 13.4.38 transmit ring size in bytes
#define E1000_TDH     0x3810   // 13.4.39 transmit head (owned by the device)
#define E1000_TDT     0x3818   // 13.4.40 transmit tail (owned by the driver)
#define E1000_MPC     0x4010   // ch. 13 statistics: missed packets
#define E1000_ROC     0x40AC   // ch. 13 statistics: oversize frames dropped, clear on read
#define E1000_GPRC    0x4074   // ch. 13 statistics: good packets received, clear on read
#define E1000_GPTC    0x4080   // ch. 13 statistics: good packets transmitted, clear on read
#define E1000_MTA     0x5200   // ch. 13 filters: multicast table, 128 words
#define E1000_RAL0    0x5400   // ch. 13 filters: receive address 0, low
#define E1000_RAH0    0x5404   // ch. 13 filters: receive address 0, high

#define E1000_MTA_WORDS 128

// CTRL bits (13.4.1).
#define E1000_CTRL_ASDE (1u << 5)    // detect link speed by itself
#define E1000_CTRL_SLU  (1u << 6)    // set link up
#define E1000_CTRL_RST  (1u << 26)   // device reset; clears itself when done

// RAH0 (ch. 13 filters): the address-valid bit.
#define E1000_RAH_AV    (1u << 31)

// Interrupt causes, shared by ICR, IMS and IMC (13.4.17).
#define E1000_INT_TXDW   (1u << 0)   // a descriptor with RS was written back
#define E1000_INT_RXDMT0 (1u << 4)   // free receive descriptors ran low
#define E1000_INT_RXO    (1u << 6)   // receiver overrun
#define E1000_INT_RXT0   (1u << 7)   // receive timer: frames are waiting
#define E1000_INT_ALL    0xFFFFFFFFu

// RCTL bits (13.4.22).
#define E1000_RCTL_EN      (1u << 1)    // receiver enable
#define E1000_RCTL_BAM     (1u << 15)   // accept broadcast frames
#define E1000_RCTL_BSIZE_2048 (0u << 16) // buffer size 2048 (with BSEX clear)
#define E1000_RCTL_SECRC   (1u << 26)   // strip the Ethernet CRC

// TCTL bits (13.4.33).
#define E1000_TCTL_EN        (1u << 1)   // transmitter enable
#define E1000_TCTL_PSP       (1u << 3)   // pad short packets
#define E1000_TCTL_CT_SHIFT   4          // collision threshold
#define E1000_TCTL_COLD_SHIFT 12         // collision distance
#define E1000_TCTL_CT_VALUE   0x10
#define E1000_TCTL_COLD_FULL  0x40       // full duplex

// TIPG fields (13.4.34): the IEEE 802.3 gaps for copper.
#define E1000_TIPG_IPGT  10
#define E1000_TIPG_IPGR1 (8 << 10)
#define E1000_TIPG_IPGR2 (6 << 20)

// Legacy transmit descriptor (3.3.3); rings need 16-byte alignment and a
// length that is a multiple of 128 bytes (3.4), so counts are multiples of 8.
struct tx_desc {
  uint64 addr;     // physical address of the frame
  uint16 length;   // bytes to send
  uint8  cso;      // checksum offset (unused)
  uint8  cmd;      // E1000_TXD_CMD_*
  uint8  status;   // E1000_TXD_STAT_*
  uint8  css;      // checksum start (unused)
  uint16 special;
};

#define E1000_TXD_CMD_EOP  0x01   // 3.3.3.1: last descriptor of the frame
#define E1000_TXD_CMD_RS   0x08   // 3.3.3.1: report status (write back DD)
#define E1000_TXD_STAT_DD  0x01   // 3.3.3.2: descriptor done

// Receive descriptor (3.2.3); the ring layout is in 3.2.6.
struct rx_desc {
  uint64 addr;     // physical address of a buffer of the RCTL.BSIZE size
  uint16 length;   // bytes the device stored
  uint16 csum;     // packet checksum (unused)
  uint8  status;   // E1000_RXD_STAT_*
  uint8  errors;   // E1000_RXD_ERR_*
  uint16 special;
};

#define E1000_RXD_STAT_DD  0x01   // 3.2.3.1: descriptor done
#define E1000_RXD_STAT_EOP 0x02   // 3.2.3.1: last descriptor of the frame
// 3.2.3.2: CRC, symbol, sequence and carrier-extension errors and RX_ERR.
// TCPE and IPE only concern checksum offload, which we do not enable.
#define E1000_RXD_ERR_FRAME 0x97
