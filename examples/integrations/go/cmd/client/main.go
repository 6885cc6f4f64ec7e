// Gets a keyforge token with golang.org/x/oauth2/clientcredentials and calls the Orders API.
//
// Settings (environment): KEYFORGE_ISSUER, KEYFORGE_CLIENT_ID, KEYFORGE_CLIENT_SECRET,
// KEYFORGE_SCOPE (space-separated), ORDERS_URL.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func main() {
	config := clientcredentials.Config{
		ClientID:     os.Getenv("KEYFORGE_CLIENT_ID"),
		ClientSecret: os.Getenv("KEYFORGE_CLIENT_SECRET"),
		TokenURL:     os.Getenv("KEYFORGE_ISSUER") + "/token",
		// keyforge finds the API from the scopes; an application of several APIs must name them.
		Scopes:    strings.Fields(os.Getenv("KEYFORGE_SCOPE")),
		AuthStyle: oauth2.AuthStyleInHeader, // client_secret_basic
	}
	// The client gets a token on first use and a new one when it expires.
	client := config.Client(context.Background())
	res, err := client.Get(os.Getenv("ORDERS_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(res.StatusCode, string(body))
	if res.StatusCode != 200 {
		os.Exit(1)
	}
}
