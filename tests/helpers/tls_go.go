// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// A Go TLS peer for the TLS tests, on crypto/tls through net/http:
//
//	serve PORT CERT KEY BODY     answer every request with BODY (HTTP/1.1 or
//	                             HTTP/2, as the client asks); print "listening"
//	get URL SNI http1|http2 N    N GETs of URL with server name SNI over one
//	                             connection; print each body and the protocol
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
)

func serve(port, cert, key, body string) error {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, body)
	})
	srv := &http.Server{Addr: "127.0.0.1:" + port}
	ln, err := tls.Listen("tcp", srv.Addr, mustServerConfig(cert, key))
	if err != nil {
		return err
	}
	fmt.Println("listening")
	return srv.Serve(ln)
}

func mustServerConfig(cert, key string) *tls.Config {
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"h2", "http/1.1"}}
}

func get(url, sni, proto string, n int) error {
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: sni, InsecureSkipVerify: true},
	}
	if proto == "http2" {
		tr.ForceAttemptHTTP2 = true
	} else {
		// A non-nil empty map: no HTTP/2 upgrade, HTTP/1.1 only.
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	client := &http.Client{Transport: tr}
	for i := 0; i < n; i++ {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Printf("%s %s\n", resp.Proto, body)
	}
	return nil
}

func main() {
	var err error
	switch {
	case len(os.Args) == 6 && os.Args[1] == "serve":
		err = serve(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
	case len(os.Args) == 6 && os.Args[1] == "get":
		n, _ := strconv.Atoi(os.Args[5])
		err = get(os.Args[2], os.Args[3], os.Args[4], n)
	default:
		err = fmt.Errorf("usage: tls_go serve PORT CERT KEY BODY | get URL SNI http1|http2 N")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
