"""The pure core of Ledgerflow: models, rules and use-cases, free of every framework."""
