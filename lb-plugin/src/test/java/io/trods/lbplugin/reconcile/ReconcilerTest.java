package io.trods.lbplugin.reconcile;

import static io.trods.lbplugin.reconcile.States.failed;
import static io.trods.lbplugin.reconcile.States.server;
import static io.trods.lbplugin.reconcile.States.state;
import static io.trods.lbplugin.reconcile.States.web;
import static org.assertj.core.api.Assertions.assertThat;

import io.trods.control.DesiredState;
import io.trods.lbplugin.reconcile.FakeKernelDriver.Forgotten;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableService;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReconcilerTest {

    private static final Endpoint WEB = new Endpoint(States.VIP, 80);

    private final FakeKernelDriver kernel = new FakeKernelDriver();
    private final Reconciler reconciler = new Reconciler(kernel, () -> 42_000L);

    /** From a kernel holding {@code before}, sync to {@code after}: the kernel holds it, these were forgotten. */
    static Stream<Arguments> transitions() {
        return Stream.of(
                Arguments.of("add a server", web(1, server(1, 1)), web(2, server(1, 1), server(2, 1)), List.of()),
                Arguments.of("change a weight", web(1, server(1, 1), server(2, 1)), web(2, server(1, 3), server(2, 1)),
                        List.of()),
                Arguments.of("drain keeps connections", web(1, server(1, 1), server(2, 1)),
                        web(2, server(1, 1), server(2, 0)), List.of()),
                Arguments.of("remove forgets", web(1, server(1, 1), server(2, 1)), web(2, server(1, 1)),
                        List.of("198.19.0.12")),
                Arguments.of("remove a drained server forgets it too", web(1, server(1, 1), server(2, 0)),
                        web(2, server(1, 1)), List.of("198.19.0.12")),
                Arguments.of("failed server forgets", web(1, server(1, 1), server(2, 1)),
                        state(2, web("rr", List.of(server(1, 1)), List.of(failed(2)))), List.of("198.19.0.12")),
                Arguments.of("service removed forgets all", web(1, server(1, 1), server(2, 1)), state(2),
                        List.of("198.19.0.11", "198.19.0.12")),
                Arguments.of("scheduler change keeps connections", web(1, server(1, 1)),
                        state(2, web("mh", List.of(server(1, 1)), List.of())), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transitions")
    void convergesAndForgetsOnlyRemovedServers(String name, DesiredState before, DesiredState after,
            List<String> forgotten) {
        syncTo(before);
        kernel.forgotten.clear();

        SyncRecord record = syncTo(after);

        assertThat(record.error()).isEmpty();
        assertThat(record.full()).isFalse();
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(after));
        assertThat(kernel.forgotten).extracting(Forgotten::address).containsExactlyInAnyOrderElementsOf(forgotten);
        assertThat(reconciler.status().appliedVersion()).isEqualTo(after.version());
        assertThat(reconciler.status().pending()).isEmpty();
    }

    @Test
    void firstSyncReadsTheKernelAndKeepsWhatAlreadyMatches() {
        kernel.drift(t -> BalancerTable.from(web(9, server(1, 1))));

        SyncRecord record = syncTo(web(1, server(1, 1), server(2, 1)));

        assertThat(record.full()).isTrue();
        assertThat(record.operations()).isEqualTo(1); // only the missing server: the rest was already there
        assertThat(kernel.readCalls).isEqualTo(1);
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(web(1, server(1, 1), server(2, 1))));
    }

    @Test
    void sameDesiredStateTwiceMakesNoDriverCall() {
        DesiredState state = web(1, server(1, 1));
        syncTo(state);
        int applies = kernel.applyCalls;

        assertThat(reconciler.offer(state)).isFalse();
        reconciler.offer(web(2, server(1, 1))); // newer version, same decision
        SyncRecord record = reconciler.sync(false);

        assertThat(kernel.applyCalls).isEqualTo(applies);
        assertThat(record.operations()).isZero();
        assertThat(reconciler.status().appliedVersion()).isEqualTo(2);
    }

    @Test
    void olderVersionIsIgnored() {
        syncTo(web(5, server(1, 1)));

        assertThat(reconciler.offer(web(4, server(2, 1)))).isFalse();
        assertThat(reconciler.status().desiredVersion()).isEqualTo(5);
    }

    @Test
    void partialFailureIsRepairedByAFullResync() {
        syncTo(web(1, server(1, 1), server(2, 1)));
        kernel.failAtOperation(1); // the delete of s2 goes through, the add of s3 fails

        SyncRecord failed = syncTo(web(2, server(1, 1), server(3, 1)));

        assertThat(failed.error()).contains("injected failure");
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(web(9, server(1, 1))));
        assertThat(kernel.forgotten).isEmpty(); // not before the table is in place
        assertThat(reconciler.status().dirty()).isTrue();

        SyncRecord retry = reconciler.sync(false);

        assertThat(retry.full()).isTrue();
        assertThat(retry.error()).isEmpty();
        assertThat(retry.operations()).isEqualTo(1); // the kernel already lacks s2: only s3 is added
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(web(2, server(1, 1), server(3, 1))));
        assertThat(kernel.forgotten).containsExactly(new Forgotten(WEB, "198.19.0.12"));
    }

    @Test
    void wrongBeliefAboutTheKernelIsRefusedThenRepaired() {
        syncTo(web(1, server(1, 1)));
        kernel.drift(t -> BalancerTable.empty()); // the table vanished behind our back

        SyncRecord refused = syncTo(web(2, server(1, 1), server(2, 1)));
        assertThat(refused.error()).contains("No such process"); // ESRCH: adding to a missing service

        SyncRecord repaired = reconciler.sync(false);
        assertThat(repaired.error()).isEmpty();
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(web(2, server(1, 1), server(2, 1))));
    }

    @Test
    void driftIsRepairedByAFullResync() {
        DesiredState state = web(1, server(1, 1), server(2, 1));
        syncTo(state);
        kernel.drift(t -> new BalancerTable(Map.of(WEB, new TableService(WEB, "rr", "nat",
                new TreeMap<>(Map.of(new Endpoint("198.19.0.11", 80), 7, new Endpoint("198.19.0.99", 80), 1))))));

        assertThat(reconciler.sync(false).operations()).isZero(); // partial sync trusts what it applied
        SyncRecord full = reconciler.sync(true);

        assertThat(full.full()).isTrue();
        assertThat(full.operations()).isEqualTo(3); // delete .99, reset .11's weight, re-add .12
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(state));
        // Someone else's server: its connections go elsewhere; ours (.12) were never removed by us.
        assertThat(kernel.forgotten).containsExactly(new Forgotten(WEB, "198.19.0.99"));
    }

    @Test
    void failedForgetIsRetriedAndTheTableStaysApplied() {
        syncTo(web(1, server(1, 1), server(2, 1)));
        kernel.failNextForget();

        SyncRecord failed = syncTo(web(2, server(1, 1)));
        assertThat(failed.error()).contains("injected forget failure");
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(web(2, server(1, 1))));
        assertThat(reconciler.status().pendingForgets()).isEqualTo(1);

        SyncRecord retry = reconciler.sync(false);
        assertThat(retry.error()).isEmpty();
        assertThat(kernel.forgotten).containsExactly(new Forgotten(WEB, "198.19.0.12"));
        assertThat(reconciler.status().pendingForgets()).isZero();
    }

    @Test
    void serverBackBeforeTheRetryKeepsItsConnections() {
        syncTo(web(1, server(1, 1), server(2, 1)));
        kernel.failNextForget();
        syncTo(web(2, server(1, 1)));

        syncTo(web(3, server(1, 1), server(2, 1)));

        assertThat(kernel.forgotten).isEmpty();
    }

    @Test
    void failedServerIsForgottenOnceNotOnEveryVersion() {
        syncTo(web(1, server(1, 1), server(2, 1)));
        syncTo(state(2, web("rr", List.of(server(1, 1)), List.of(failed(2)))));
        syncTo(state(3, web("rr", List.of(server(1, 2)), List.of(failed(2)))));

        assertThat(kernel.forgotten).containsExactly(new Forgotten(WEB, "198.19.0.12"));
    }

    @Test
    void withoutADesiredStateTheKernelIsLeftAlone() {
        assertThat(reconciler.sync(true)).isNull();
        assertThat(kernel.readCalls).isZero();
        assertThat(kernel.applyCalls).isZero();
    }

    @Test
    void listenersHearEverySync() {
        List<SyncRecord> heard = new java.util.ArrayList<>();
        reconciler.addListener(heard::add);
        kernel.failNextRead();

        syncTo(web(1, server(1, 1)));
        reconciler.sync(false);

        assertThat(heard).hasSize(2);
        assertThat(heard.get(0).error()).contains("injected read failure");
        assertThat(heard.get(1).appliedVersion()).isEqualTo(1);
        assertThat(heard.get(1).appliedAtMillis()).isEqualTo(42_000L);
        assertThat(reconciler.status().syncErrors()).isEqualTo(1);
    }

    private SyncRecord syncTo(DesiredState state) {
        reconciler.offer(state);
        return reconciler.sync(false);
    }
}
