package io.trods.agent;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class RecoveryAgentApplication {

    public static void main(String[] args) {
        SpringApplication.run(RecoveryAgentApplication.class, args);
    }
}
