package io.trods.monitor.probe;

/** Where a web server is probed; health is kept per endpoint, since one server may serve several ports. */
public record ServerEndpoint(String address, int port) {

    @Override
    public String toString() {
        return address + ":" + port;
    }
}
