"""The unified profile as served (GET /customer, /customers): one read across the domains
(customer, accounts, transactions, logins, risk), so it sits over them, apart from the
`app.customer` package they all read through (docs/layout.md)."""
