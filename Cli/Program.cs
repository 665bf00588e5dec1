using BlitzScale.Cli.Commands;

return await BlitzRoot.InvokeAsync(args);
