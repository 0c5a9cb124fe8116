package io.trods.lbplugin.nftables;

import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads {@code nft -j list table ip trods_balancer} back into a {@link BalancerTable}: the inverse of
 * {@link NftablesRenderer}. A rule it does not recognise (someone else's, or a changed format) is
 * left out with a warning: the table then differs from the desired one, and the next apply replaces
 * it whole, which is the repair we want.
 */
public final class NftablesTableReader {

    private static final Logger log = LoggerFactory.getLogger(NftablesTableReader.class);

    private final JsonMapper mapper = JsonMapper.builder().build();

    /** @throws IllegalArgumentException when the text is not nft's JSON at all */
    public BalancerTable read(String json) {
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("nft printed invalid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode items = root.path("nftables");
        if (!items.isArray()) {
            throw new IllegalArgumentException("nft's JSON has no \"nftables\" array");
        }
        List<TableService> services = new ArrayList<>();
        for (JsonNode item : items) {
            JsonNode rule = item.path("rule");
            if (rule.isObject() && "prerouting".equals(rule.path("chain").asString(""))) {
                Optional<TableService> service = service(rule);
                if (service.isPresent() && services.stream().noneMatch(s -> s.key().equals(service.get().key()))) {
                    services.add(service.get());
                } else {
                    log.warn("ignoring an unexpected rule in table ip {}: {}", NftablesRenderer.TABLE, rule);
                }
            }
        }
        return BalancerTable.of(services);
    }

    private static Optional<TableService> service(JsonNode rule) {
        String address = null;
        int port = 0;
        JsonNode action = null;
        for (JsonNode expr : rule.path("expr")) {
            JsonNode match = expr.path("match");
            if (match.isObject()) {
                JsonNode payload = match.path("left").path("payload");
                String field = payload.path("protocol").asString("") + " " + payload.path("field").asString("");
                if (field.equals("ip daddr")) {
                    address = match.path("right").asString(null);
                } else if (field.equals("tcp dport")) {
                    port = match.path("right").asInt(0);
                }
            } else if (expr.has("dnat") || expr.has("reject")) {
                action = expr;
            }
        }
        if (address == null || port == 0 || action == null) {
            return Optional.empty();
        }
        try {
            Endpoint vip = new Endpoint(address, port);
            String[] comment = rule.path("comment").asString("").split(" ");
            JsonNode map = action.path("dnat").path("addr").path("map");
            String scheduler = comment.length == 2 ? comment[0] : schedulerOf(map.path("key"));
            String forwarding = comment.length == 2 ? comment[1] : "nat";
            TreeMap<Endpoint, Integer> backends = new TreeMap<>();
            if (action.has("dnat")) {
                if (!map.isObject()) {
                    return Optional.empty();
                }
                for (JsonNode element : map.path("data").path("set")) {
                    member(element, vip.port(), backends);
                }
            }
            return Optional.of(new TableService(vip, scheduler, forwarding, backends));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** {@code [index or {"range":[a,b]}, address or {"concat":[address, port]}]}: weight = range width. */
    private static void member(JsonNode element, int vipPort, TreeMap<Endpoint, Integer> backends) {
        if (element.has("elem")) {
            element = element.path("elem").path("val");
        }
        JsonNode key = element.path(0);
        JsonNode value = element.path(1);
        int weight = key.has("range") ? key.path("range").path(1).asInt() - key.path("range").path(0).asInt() + 1 : 1;
        Endpoint backend = value.has("concat")
                ? new Endpoint(value.path("concat").path(0).asString(""), value.path("concat").path(1).asInt(0))
                : new Endpoint(value.asString(""), vipPort);
        backends.merge(backend, weight, Integer::sum);
    }

    private static String schedulerOf(JsonNode key) {
        if (key.has("jhash")) {
            return "mh";
        }
        return "inc".equals(key.path("numgen").path("mode").asString("")) ? "rr" : "wrr";
    }
}
