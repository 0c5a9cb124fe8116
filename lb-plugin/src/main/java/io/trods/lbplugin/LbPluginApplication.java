package io.trods.lbplugin;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class LbPluginApplication {

    public static void main(String[] args) {
        SpringApplication.run(LbPluginApplication.class, args);
    }
}
