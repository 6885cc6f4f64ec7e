package example.keyforge.client;

import static org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver.clientRegistrationId;

import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.web.client.RestClient;

/** Calls an API with a keyforge token got by the client-credentials grant, then exits. */
@SpringBootApplication
public class OrdersClientApplication {

	public static void main(String[] args) {
		System.exit(SpringApplication.exit(SpringApplication.run(OrdersClientApplication.class, args)));
	}

	/** Outside a web request there is no servlet manager; this one gets and caches client-credentials tokens. */
	@Bean
	OAuth2AuthorizedClientManager authorizedClientManager(ClientRegistrationRepository registrations) {
		return new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations,
				new InMemoryOAuth2AuthorizedClientService(registrations));
	}

	@Bean
	RestClient ordersApi(RestClient.Builder builder, OAuth2AuthorizedClientManager manager) {
		return builder.requestInterceptor(new OAuth2ClientHttpRequestInterceptor(manager)).build();
	}

	@Bean
	CommandLineRunner callOrders(RestClient ordersApi, Environment env) {
		return (args) -> {
			String body = ordersApi.get()
				.uri(env.getRequiredProperty("ORDERS_URL"))
				.attributes(clientRegistrationId("keyforge"))
				.retrieve()
				.body(String.class);
			System.out.println(body);
		};
	}

}
