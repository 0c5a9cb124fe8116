package io.trods.lbplugin.source;

/** Where desired states come from (ZooKeeper, or a file); each newer valid one goes to the reconciler. */
public interface DesiredStateSource extends AutoCloseable {

    void start() throws Exception;

    SourceStatus status();

    @Override
    void close();
}
