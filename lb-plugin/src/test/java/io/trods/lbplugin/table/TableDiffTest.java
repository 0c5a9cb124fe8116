package io.trods.lbplugin.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.lbplugin.table.TableOp.AddBackend;
import io.trods.lbplugin.table.TableOp.AddService;
import io.trods.lbplugin.table.TableOp.DeleteBackend;
import io.trods.lbplugin.table.TableOp.DeleteService;
import io.trods.lbplugin.table.TableOp.EditBackend;
import io.trods.lbplugin.table.TableOp.EditService;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class TableDiffTest {

    private static final Endpoint A = Endpoint.parse("198.19.0.1:80");
    private static final Endpoint B = Endpoint.parse("198.19.0.2:80");
    private static final Endpoint S1 = Endpoint.parse("198.19.0.11:80");
    private static final Endpoint S2 = Endpoint.parse("198.19.0.12:80");
    private static final Endpoint S3 = Endpoint.parse("198.19.0.13:80");

    private static TableService svc(Endpoint key, String scheduler, String forwarding, Map<Endpoint, Integer> backends) {
        return new TableService(key, scheduler, forwarding, new TreeMap<>(backends));
    }

    @Test
    void identicalTablesNeedNothing() {
        BalancerTable t = BalancerTable.of(List.of(svc(A, "rr", "nat", Map.of(S1, 1))));
        assertThat(TableDiff.between(t, t)).isEmpty();
    }

    @Test
    void operationsComeInKernelSafeOrder() {
        BalancerTable from = BalancerTable.of(List.of(
                svc(A, "rr", "nat", Map.of(S1, 1, S2, 1)),
                svc(B, "rr", "nat", Map.of(S1, 1))));
        BalancerTable to = BalancerTable.of(List.of(
                svc(A, "mh", "nat", Map.of(S1, 5, S3, 1)),
                svc(Endpoint.parse("198.19.0.3:80"), "rr", "nat", Map.of(S2, 1))));

        List<TableOp> ops = TableDiff.between(from, to);

        assertThat(ops).containsExactly(
                new DeleteBackend(A, S2),
                new DeleteService(B),
                new EditService(A, "mh", "nat"),
                new AddService(Endpoint.parse("198.19.0.3:80"), "rr", "nat"),
                new EditBackend(A, S1, 5, "nat"),
                new AddBackend(A, S3, 1, "nat"),
                new AddBackend(Endpoint.parse("198.19.0.3:80"), S2, 1, "nat"));
        assertThat(TableDiff.apply(from, ops)).isEqualTo(to);
    }

    @Test
    void forwardingChangeEditsEveryBackendBecauseIpvsKeepsItPerServer() {
        BalancerTable from = BalancerTable.of(List.of(svc(A, "rr", "nat", Map.of(S1, 1, S2, 2))));
        BalancerTable to = BalancerTable.of(List.of(svc(A, "rr", "dr", Map.of(S1, 1, S2, 2))));

        assertThat(TableDiff.between(from, to)).containsExactly(new EditService(A, "rr", "dr"),
                new EditBackend(A, S1, 1, "dr"), new EditBackend(A, S2, 2, "dr"));
    }

    @Test
    void editorRefusesWhatTheKernelWould() {
        TableEditor editor = new TableEditor(BalancerTable.of(List.of(svc(A, "rr", "nat", Map.of(S1, 1)))));

        assertThatThrownBy(() -> editor.apply(new AddService(A, "rr", "nat")))
                .isInstanceOfSatisfying(TableEditor.Refused.class, e -> assertThat(e.errno).isEqualTo(TableEditor.Errno.EEXIST));
        assertThatThrownBy(() -> editor.apply(new DeleteBackend(A, S2)))
                .isInstanceOfSatisfying(TableEditor.Refused.class, e -> assertThat(e.errno).isEqualTo(TableEditor.Errno.ENOENT));
        assertThatThrownBy(() -> editor.apply(new AddBackend(B, S1, 1, "nat")))
                .isInstanceOfSatisfying(TableEditor.Refused.class, e -> assertThat(e.errno).isEqualTo(TableEditor.Errno.ESRCH));
        assertThat(editor.table().service(A).backends()).containsExactly(Map.entry(S1, 1));
    }

    @Test
    void endpointsSortNumerically() {
        assertThat(Endpoint.parse("10.0.0.9:80")).isLessThan(Endpoint.parse("10.0.0.10:80"));
        assertThatThrownBy(() -> Endpoint.parse("10.0.0.256:80")).isInstanceOf(IllegalArgumentException.class);
    }
}
