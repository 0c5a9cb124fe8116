package io.trods.lbplugin.nftables;

import static io.trods.lbplugin.nftables.Tables.service;
import static io.trods.lbplugin.nftables.Tables.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.lbplugin.driver.CommandRunner;
import io.trods.lbplugin.driver.DriverException;
import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableDiff;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NftablesDriverTest {

    /** Answers each command with the next scripted result and remembers what it was asked. */
    static final class ScriptedRunner implements CommandRunner {
        final Deque<Object> answers = new ArrayDeque<>();
        final List<List<String>> commands = new ArrayList<>();
        final List<String> stdins = new ArrayList<>();

        ScriptedRunner answer(int exit, String stdout, String stderr) {
            answers.add(new CommandResult(exit, stdout, stderr));
            return this;
        }

        @Override
        public CommandResult run(List<String> argv, byte[] stdin, Duration timeout) throws IOException {
            commands.add(argv);
            stdins.add(new String(stdin, StandardCharsets.UTF_8));
            Object answer = answers.remove();
            if (answer instanceof IOException e) {
                throw e;
            }
            return (CommandResult) answer;
        }
    }

    @TempDir
    Path proc;

    private final ScriptedRunner runner = new ScriptedRunner();

    private NftablesDriver driver(boolean manage) {
        return new NftablesDriver(runner, new NftablesRenderer("eth1"), new SysctlFiles(proc), manage, Duration.ofSeconds(2));
    }

    @Test
    void applyPipesTheWholeTableToNft() throws Exception {
        runner.answer(0, "", "");
        BalancerTable desired = table(service("198.19.0.1:80", "rr", "198.19.0.11:80", 1));

        driver(false).apply(List.of(), desired);

        assertThat(runner.commands).containsExactly(List.of("nft", "-f", "-"));
        assertThat(runner.stdins.get(0)).isEqualTo(new NftablesRenderer("eth1").render(desired));
    }

    @Test
    void nftFailureCarriesItsStatusAndMessage() {
        runner.answer(1, "", "/dev/stdin:8:3-40: Error: Could not process rule: No such file or directory\n");

        assertThatThrownBy(() -> driver(false).apply(List.of(), BalancerTable.empty()))
                .isInstanceOfSatisfying(DriverException.class, e -> {
                    assertThat(e.operation()).isEqualTo("apply");
                    assertThat(e.status()).isEqualTo(1);
                    assertThat(e.stderr()).contains("Could not process rule");
                    assertThat(e.getMessage()).contains("apply failed (status 1)").contains("Could not process rule");
                });
    }

    @Test
    void toolThatCannotRunIsADriverException() {
        runner.answers.add(new IOException("Cannot run program \"nft\": error=2"));

        assertThatThrownBy(() -> driver(false).read()).isInstanceOf(DriverException.class)
                .hasMessageContaining("nft -j list table ip trods_balancer").hasMessageContaining("error=2");
    }

    @Test
    void unrenderableTableFailsBeforeRunningNft() {
        BalancerTable dr = BalancerTable.of(List.of(new io.trods.lbplugin.table.TableService(
                Endpoint.parse("198.19.0.1:80"), "rr", "dr", null)));

        assertThatThrownBy(() -> driver(false).apply(List.of(), dr)).isInstanceOf(DriverException.class)
                .hasMessageContaining("NAT only");
        assertThat(runner.commands).isEmpty();
    }

    @Test
    void readParsesTheListedTableAndAnAbsentTableIsEmpty() throws Exception {
        runner.answer(0, NftablesTableReaderTest.fixture("list-table.json"), "");
        runner.answer(1, "", "Error: No such file or directory\nlist table ip trods_balancer\n");

        assertThat(driver(false).read()).isEqualTo(Tables.listed());
        assertThat(driver(false).read()).isEqualTo(BalancerTable.empty());
        assertThat(runner.commands.get(0)).containsExactly("nft", "-j", "list", "table", "ip", "trods_balancer");
    }

    @Test
    void readFailureOtherThanAbsenceIsAnError() {
        runner.answer(1, "", "Error: Operation not permitted\n");

        assertThatThrownBy(() -> driver(false).read()).isInstanceOf(DriverException.class)
                .hasMessageContaining("Operation not permitted");
    }

    @Test
    void kernelViewMatchesWhatReadReturnsAfterApply() {
        BalancerTable desired = table(
                service("198.19.0.1:80", "rr", "198.19.0.11:80", 1, "198.19.0.12:80", 1, "198.19.0.13:80", 0),
                service("198.19.0.3:80", "wlc", "198.19.0.11:80", 30, "198.19.0.12:80", 20),
                service("198.19.0.5:80", "rr", "198.19.0.11:80", 0));

        BalancerTable view = driver(false).kernelView(desired);

        assertThat(view).isEqualTo(table(
                service("198.19.0.1:80", "rr", "198.19.0.11:80", 1, "198.19.0.12:80", 1),
                service("198.19.0.3:80", "wlc", "198.19.0.11:80", 3, "198.19.0.12:80", 2),
                service("198.19.0.5:80", "rr")));
        assertThat(TableDiff.between(driver(false).kernelView(Tables.listed()), Tables.listed())).isEmpty();
    }

    @Test
    void forgetDeletesTheServersConntrackEntriesAndNothingToDeleteIsFine() throws Exception {
        runner.answer(0, "", "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted.\n");
        runner.answer(1, "", "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n");
        Endpoint web = Endpoint.parse("198.19.0.1:80");

        driver(false).forgetConnections(web, "198.19.0.12");
        driver(false).forgetConnections(web, "198.19.0.12");

        assertThat(runner.commands.get(0)).containsExactly("conntrack", "-D", "-p", "tcp", "--orig-dst", "198.19.0.1",
                "--dport", "80", "--reply-src", "198.19.0.12");
    }

    @Test
    void forgetFailureIsAnError() {
        runner.answer(1, "", "conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted\n");

        assertThatThrownBy(() -> driver(false).forgetConnections(Endpoint.parse("198.19.0.1:80"), "198.19.0.12"))
                .isInstanceOfSatisfying(DriverException.class, e -> assertThat(e.operation()).isEqualTo("forget"))
                .hasMessageContaining("Operation not permitted");
    }

    @Test
    void settingsAreCheckedAndOnlyWrittenWhenManaged() throws Exception {
        Files.createDirectories(proc.resolve("net/ipv4"));
        Files.writeString(proc.resolve("net/ipv4/ip_forward"), "0\n");
        // nf_conntrack not loaded: its setting is absent.

        List<SettingCheck> checked = driver(false).checkSettings();
        assertThat(checked).extracting(SettingCheck::name, SettingCheck::actual, SettingCheck::ok).containsExactly(
                org.assertj.core.groups.Tuple.tuple("net.ipv4.ip_forward", "0", false),
                org.assertj.core.groups.Tuple.tuple("net.netfilter.nf_conntrack_tcp_loose", "absent", false));
        assertThat(checked.get(1).warning()).contains("module is not loaded");
        assertThat(Files.readString(proc.resolve("net/ipv4/ip_forward"))).isEqualTo("0\n");

        Files.createDirectories(proc.resolve("net/netfilter"));
        Files.writeString(proc.resolve("net/netfilter/nf_conntrack_tcp_loose"), "0\n");
        List<SettingCheck> managed = driver(true).checkSettings();

        assertThat(managed).allSatisfy(s -> assertThat(s.ok()).isTrue());
        assertThat(Files.readString(proc.resolve("net/netfilter/nf_conntrack_tcp_loose")).trim()).isEqualTo("1");
        assertThat(Files.readString(proc.resolve("net/ipv4/ip_forward")).trim()).isEqualTo("1");
    }
}
