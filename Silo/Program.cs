return await BlitzScale.Silo.BlitzSilo.RunAsync(args);
