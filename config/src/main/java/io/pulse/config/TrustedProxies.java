package io.pulse.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The proxies (PULSE_TRUSTED_PROXIES: addresses and CIDR blocks, comma-separated) whose {@code X-Forwarded-*} headers
 * the service believes. A request from anywhere else is judged by what it sent, not by what it says a proxy saw.
 */
public final class TrustedProxies {

  private static final String KEY = "PULSE_TRUSTED_PROXIES";

  private record Block(byte[] network, int bits) {
  }

  private final List<Block> blocks;

  private TrustedProxies(List<Block> blocks) {
    this.blocks = List.copyOf(blocks);
  }

  static TrustedProxies parse(String text) {
    List<Block> blocks = new ArrayList<>();
    if (text != null) {
      for (String item : text.split(",")) {
        String entry = item.trim();
        if (!entry.isEmpty()) {
          blocks.add(block(entry));
        }
      }
    }
    return new TrustedProxies(blocks);
  }

  public boolean isEmpty() {
    return blocks.isEmpty();
  }

  /** Whether the peer at {@code address} (an IP literal) is a trusted proxy. */
  public boolean trusts(String address) {
    if (address == null || blocks.isEmpty()) {
      return false;
    }
    byte[] peer;
    try {
      peer = literal(address);
    } catch (IllegalArgumentException e) {
      return false;
    }
    for (Block block : blocks) {
      if (block.network().length == peer.length && prefixMatches(block.network(), peer, block.bits())) {
        return true;
      }
    }
    return false;
  }

  private static boolean prefixMatches(byte[] network, byte[] peer, int bits) {
    for (int i = 0; i < bits; i++) {
      int mask = 0x80 >>> (i % 8);
      if ((network[i / 8] & mask) != (peer[i / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  private static Block block(String entry) {
    int slash = entry.indexOf('/');
    String address = slash < 0 ? entry : entry.substring(0, slash);
    byte[] network;
    try {
      network = literal(address);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(KEY, "'" + Text.printable(entry) + "' is not an IP address or CIDR block (such as"
          + " 10.0.0.0/8 or 127.0.0.1)");
    }
    int bits = network.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException e) {
        bits = -1;
      }
      if (bits < 0 || bits > network.length * 8) {
        throw new ConfigException(KEY, "'" + Text.printable(entry) + "' has a bad prefix length");
      }
    }
    return new Block(network, bits);
  }

  /** The bytes of an IP literal; never a name lookup. */
  private static byte[] literal(String address) {
    String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1)
        : address;
    boolean v4 = !a.isEmpty() && a.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9');
    boolean v6 = a.indexOf(':') >= 0 && a.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0);
    if (!v4 && !v6) {
      throw new IllegalArgumentException("not an IP literal");
    }
    try {
      // A literal is parsed without a lookup.
      return InetAddress.getByName(a).getAddress();
    } catch (UnknownHostException | SecurityException e) {
      throw new IllegalArgumentException("not an IP literal", e);
    }
  }
}
