package io.trods.lbplugin.table;

/**
 * One change to a kernel balancer table, in IPVS terms ({@code ipvsadm -A/-E/-D}, {@code -a/-e/-d}).
 * Backend operations carry the service's forwarding method because IPVS stores it per real server.
 */
public sealed interface TableOp {

    /** The virtual service the operation acts on. */
    Endpoint service();

    /** Creates a service without backends; {@link AddBackend}s follow. */
    record AddService(Endpoint service, String scheduler, String forwarding) implements TableOp {}

    record EditService(Endpoint service, String scheduler, String forwarding) implements TableOp {}

    /** Removes a service and, with it, all its backends. */
    record DeleteService(Endpoint service) implements TableOp {}

    record AddBackend(Endpoint service, Endpoint backend, int weight, String forwarding) implements TableOp {}

    record EditBackend(Endpoint service, Endpoint backend, int weight, String forwarding) implements TableOp {}

    record DeleteBackend(Endpoint service, Endpoint backend) implements TableOp {}
}
