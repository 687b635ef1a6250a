package io.pulse.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.NetSocket;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay to a real service that a test cuts (the listener closes and every connection through it drops, as when
 * a host or a network goes away) and restores on the same port: outages without stopping the shared services.
 */
public final class TcpRelay implements AutoCloseable {

  private final Vertx vertx;
  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final NetClient client;
  private final NetServerOptions serverOptions;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private volatile NetServer server;

  private TcpRelay(Vertx vertx, String targetHost, int targetPort, int port, NetServerOptions serverOptions) {
    this.vertx = vertx;
    this.serverOptions = serverOptions;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.port = port;
    this.client = vertx.createNetClient();
  }

  /** A relay on a free port of 127.0.0.1 to {@code targetHost:targetPort}, open. */
  public static TcpRelay start(Vertx vertx, String targetHost, int targetPort) {
    TcpRelay relay = new TcpRelay(vertx, targetHost, targetPort, TestEnv.freePort(), new NetServerOptions());
    relay.restore();
    return relay;
  }

  /**
   * A relay that takes TLS with {@code certificate} (see {@link Certificates}) and speaks plain TCP to the target: a
   * TLS-terminating front for a service that has no TLS of its own (the shared broker's AMQP and management API).
   */
  public static TcpRelay startTls(Vertx vertx, String targetHost, int targetPort, Certificates.Pair certificate) {
    TcpRelay relay = new TcpRelay(vertx, targetHost, targetPort, TestEnv.freePort(), new NetServerOptions()
        .setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(certificate.cert().toString())
            .setKeyPath(certificate.key().toString())));
    relay.restore();
    return relay;
  }

  public int port() {
    return port;
  }

  /** Stops listening and drops every connection through the relay. */
  public void cut() {
    NetServer open = server;
    server = null;
    if (open != null) {
      open.close().await();
    }
    sockets.forEach(NetSocket::close);
    sockets.clear();
  }

  /** Listens again on the same port. */
  public void restore() {
    server = vertx.createNetServer(serverOptions).connectHandler(inbound -> {
      inbound.pause();
      sockets.add(inbound);
      client.connect(targetPort, targetHost).onSuccess(outbound -> {
        sockets.add(outbound);
        inbound.closeHandler(v -> outbound.close());
        outbound.closeHandler(v -> inbound.close());
        inbound.pipeTo(outbound);
        outbound.pipeTo(inbound);
        inbound.resume();
      }).onFailure(e -> inbound.close());
    }).listen(port, "127.0.0.1").await();
  }

  @Override
  public void close() {
    cut();
    client.close();
  }
}
