package io.trods.agent.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisConfiguration;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** Which factories the packet thread's own connection is made for; nothing here connects. */
class DirectSaveConnectionTest {

    private static final LettuceClientConfiguration CLIENT = LettuceClientConfiguration.defaultConfiguration();

    private static DirectSaveConnection of(LettuceConnectionFactory factory) {
        return DirectSaveConnection.of(factory, Duration.ofMillis(200), Duration.ofSeconds(1), 0);
    }

    @Test
    void oneServerOverPlainTcpGetsADirectConnection() {
        assertThat(of(new LettuceConnectionFactory(new RedisStandaloneConfiguration("10.0.0.5", 6380), CLIENT)))
                .isNotNull();
    }

    @Test
    void sentinelAndTlsGoThroughLettuce() {
        assertThat(of(new LettuceConnectionFactory(new RedisSentinelConfiguration().master("m")
                .sentinel("10.0.0.5", 26379), CLIENT))).isNull();
        assertThat(of(new LettuceConnectionFactory(new RedisStandaloneConfiguration("10.0.0.5", 6380),
                LettuceClientConfiguration.builder().useSsl().build()))).isNull();
    }

    /**
     * Built with the untyped constructor, a factory reports localhost:6379 as its standalone
     * settings while it talks to 10.0.0.5:6380: a direct connection made from those would save to
     * another Redis than the one the lookups ask (or to none).
     */
    @Test
    void aFactoryWhoseStandaloneSettingsAreNotItsServerGetsNone() {
        RedisConfiguration untyped = new RedisStandaloneConfiguration("10.0.0.5", 6380);
        LettuceConnectionFactory factory = new LettuceConnectionFactory(untyped, CLIENT);
        assertThat(factory.getHostName()).isEqualTo("10.0.0.5");
        assertThat(of(factory)).isNull();
    }
}
