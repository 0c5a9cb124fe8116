package io.trods.agent.kernel;

import java.io.Closeable;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A thread living in a named network namespace ({@code ip netns add NAME}, i.e. /run/netns/NAME).
 * setns() moves only the calling thread, so tasks run on this one dedicated thread; the sockets they
 * create belong to the namespace for good and can be used from any thread afterwards.
 *
 * <p>A plain thread and queue rather than an executor: a pool would silently replace a dead worker
 * with a thread in the wrong namespace.
 */
public final class NetNamespace implements Closeable {

    private static final String NETNS_DIR = "/run/netns/";
    private static final Runnable STOP = () -> { };

    private final String name;
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private boolean closed; // guarded by this

    private NetNamespace(String name) {
        this.name = name;
    }

    /** Starts the thread and joins the namespace; fails with the errno of open() or setns(). */
    public static NetNamespace open(String name) throws KernelCallException, InterruptedException {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a namespace name: " + name);
        }
        NetNamespace ns = new NetNamespace(name);
        CompletableFuture<Void> joined = new CompletableFuture<>();
        Thread thread = new Thread(() -> ns.run(joined), "netns-" + name);
        thread.setDaemon(true);
        thread.start();
        try {
            joined.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof KernelCallException kce) {
                throw kce;
            }
            throw new IllegalStateException("joining network namespace " + name, e.getCause());
        }
        return ns;
    }

    /** Runs {@code task} once in namespace {@code name}, on a thread of its own. */
    public static <T> T callIn(String name, Callable<T> task) throws Exception {
        try (NetNamespace ns = open(name)) {
            return ns.call(task);
        }
    }

    public String name() {
        return name;
    }

    /** Runs {@code task} on the namespace's thread and returns its result or rethrows its exception. */
    public <T> T call(Callable<T> task) throws Exception {
        FutureTask<T> future = new FutureTask<>(task);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("network namespace thread closed: " + name);
            }
            tasks.add(future);
        }
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    /** Lets the thread end after the task it is running; calls already queued still run. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            tasks.add(STOP);
        }
    }

    private void run(CompletableFuture<Void> joined) {
        try {
            join();
        } catch (Throwable t) {
            joined.completeExceptionally(t);
            return;
        }
        joined.complete(null);
        try {
            for (Runnable task = tasks.take(); task != STOP; task = tasks.take()) {
                task.run(); // a FutureTask: never throws
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void join() throws KernelCallException {
        String path = NETNS_DIR + name;
        int fd = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw KernelCallException.last("open(" + path + ')');
        }
        try {
            if (LibC.setns(fd, LibC.CLONE_NEWNET) < 0) {
                throw KernelCallException.last("setns(" + path + ", CLONE_NEWNET)");
            }
        } finally {
            LibC.close(fd);
        }
    }
}
